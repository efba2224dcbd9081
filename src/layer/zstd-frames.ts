// Bun's node:zlib zstd decoder ends without an error when its input stops
// part-way through a frame: a cut-off .tar.zst decodes to a shorter tar, and
// a tar cut at an entry boundary even reads as whole. So the compressed bytes
// are followed, as they go by, through the zstd frame format (RFC 8878 §3.1):
// frame header, block headers (their sizes say how much to skip), the
// optional content checksum, skippable frames. The input must end exactly
// where a frame ends; the decoder still checks everything else (block
// contents, the checksum's value).

import { LayerError } from "../errors.ts";

const ZSTD_MAGIC = 0xfd2fb528;
/** Skippable frames: 0x184D2A50 to 0x184D2A5F. */
const SKIPPABLE_MASK = 0xfffffff0;
const SKIPPABLE_MAGIC = 0x184d2a50;

type Field = "magic" | "descriptor" | "block-header" | "skip-size";

const FIELD_SIZE: Record<Field, number> = { magic: 4, descriptor: 1, "block-header": 3, "skip-size": 4 };

const HINT = "The file or blob is damaged or incomplete: fetch, pull or load it again.";

/** Where a zstd stream is in its frames, fed chunk by chunk. */
export class ZstdFrames {
  /** The fixed-size field being read, and its bytes so far. */
  private field: Field = "magic";
  private bytes: number[] = [];
  /** Bytes to pass over before the next field (header rest, block bodies, checksum, skippable data). */
  private skip = 0;
  /** What follows the skip: the next block header, or (after the last block) the next frame. */
  private afterSkip: Field = "magic";
  private hasChecksum = false;
  private frames = 0;

  /** Follow `chunk`; a structure that is not zstd's is a LayerError. */
  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - i);
        this.skip -= n;
        i += n;
        if (this.skip === 0) this.field = this.afterSkip;
        continue;
      }
      this.bytes.push(chunk[i++]!);
      if (this.bytes.length === FIELD_SIZE[this.field]) this.onField();
    }
  }

  /** The input ended: it must have ended where a frame ends. */
  end(): void {
    if (this.frames > 0 && this.field === "magic" && this.bytes.length === 0 && this.skip === 0) return;
    throw new LayerError("E_LAYER", "the zstd-compressed data is truncated: it ends inside a frame", { hint: HINT });
  }

  private onField(): void {
    const b = this.bytes;
    this.bytes = [];
    const le = (b[0]! | (b[1]! << 8) | ((b[2] ?? 0) << 16) | ((b[3] ?? 0) << 24)) >>> 0;
    switch (this.field) {
      case "magic":
        if (le === ZSTD_MAGIC) return void (this.field = "descriptor");
        if (((le & SKIPPABLE_MASK) >>> 0) === SKIPPABLE_MAGIC) return void (this.field = "skip-size");
        throw corrupt(`no zstd frame starts at frame ${this.frames + 1}`);
      case "skip-size":
        this.frames++;
        return this.skipThen(le, "magic");
      case "descriptor": {
        const d = b[0]!;
        if (d & 0x08) throw corrupt("a frame header has its reserved bit set");
        const fcsFlag = d >> 6;
        const single = (d >> 5) & 1;
        this.hasChecksum = ((d >> 2) & 1) === 1;
        const window = single ? 0 : 1;
        const dictId = [0, 1, 2, 4][d & 3]!;
        const fcs = fcsFlag === 0 ? single : [0, 2, 4, 8][fcsFlag]!;
        return this.skipThen(window + dictId + fcs, "block-header");
      }
      case "block-header": {
        const last = le & 1;
        const type = (le >> 1) & 3;
        const size = le >>> 3;
        if (type === 3) throw corrupt("a block has the reserved type");
        const body = type === 1 ? 1 : size; // RLE: one byte repeated `size` times
        if (!last) return this.skipThen(body, "block-header");
        this.frames++;
        return this.skipThen(body + (this.hasChecksum ? 4 : 0), "magic");
      }
    }
  }

  private skipThen(n: number, next: Field): void {
    this.skip = n;
    this.afterSkip = next;
    if (n === 0) this.field = next;
  }
}

function corrupt(what: string): LayerError {
  return new LayerError("E_LAYER", `the zstd-compressed data is corrupt: ${what}`, { hint: HINT });
}
