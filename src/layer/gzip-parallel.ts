// gzip on every core, pigz's way: the input is cut into blocks, each block is
// deflated on zlib's thread pool as raw deflate primed with the previous
// block's last 32 KiB (so matches still reach across the cut and the ratio is
// that of a single stream) and ended with a sync flush (byte-aligned, not
// final). Concatenated in order and closed with an empty final block, the
// pieces form ONE ordinary gzip member: every reader accepts it (Go's
// compress/gzip, containerd, Docker, `gzip -d`), and the output for a given
// input and level is always the same bytes.
//
// Blocks that look incompressible (already-compressed files, random data) are
// stored rather than deflated: three 8 KiB samples are deflated first (at the
// same level: level 1's Huffman-coded literals inflate random bytes by ~5% and
// would hide a sample's real savings), and when none of them shrinks by 1%,
// the block goes out as stored deflate blocks. gzip -6 ends up storing such
// data too, after spending ~25 ns a byte failing to compress it; the samples
// cost ~2% of that. A block hiding compressible bytes between its samples
// merely compresses less well.
import type * as Zlib from "node:zlib";
import type * as Os from "node:os";

// 512 KiB, the same as diff.ts chunks (no re-cutting): measured on the codec bench,
// 1 MiB blocks were no faster and peaked ~30 MiB higher (more garbage in flight).
const BLOCK_SIZE = 512 * 1024;
const WINDOW = 32 * 1024;
// Go's compress/gzip header: no name, no mtime (reproducible), OS "unknown".
const HEADER = new Uint8Array([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff]);
// An empty fixed-Huffman block with BFINAL set: closes the deflate stream.
const FINAL_BLOCK = new Uint8Array([0x03, 0x00]);

export interface ParallelGzipOptions {
  level?: number;
  /** Store blocks whose samples do not compress (default true). */
  adaptive?: boolean;
  /** Blocks compressed at once (default: cores + 1, so no core idles while the main thread reads). */
  concurrency?: number;
}

/** gzip `input`, several blocks at a time, with flat memory (at most `concurrency` blocks in flight). */
export function gzipParallel(input: ReadableStream<Uint8Array>, opts: ParallelGzipOptions = {}): ReadableStream<Uint8Array> {
  const zlib = require("node:zlib") as typeof Zlib; // lazy: node:zlib costs start-up time (scripts/lint.ts)
  const level = opts.level ?? 6;
  const concurrency = opts.concurrency ?? (require("node:os") as typeof Os).availableParallelism() + 1;
  const reader = input.getReader();
  const inFlight: Promise<Uint8Array>[] = [];
  let crc = 0;
  let isize = 0;
  let prev: Uint8Array | undefined;
  let inputDone = false;
  let started = false;
  // Input chunks not yet cut into a block.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;

  const adaptive = opts.adaptive ?? true;
  const deflate = (block: Uint8Array, dictionary: Uint8Array | undefined) =>
    new Promise<Uint8Array>((resolve, reject) => {
      const store = adaptive && looksIncompressible(zlib, block, level);
      const o: Zlib.ZlibOptions = { level: store ? 0 : level, finishFlush: zlib.constants.Z_SYNC_FLUSH };
      if (dictionary && !store) o.dictionary = dictionary;
      zlib.deflateRaw(block, o, (err, out) => (err ? reject(err) : resolve(out)));
    });

  const startBlock = (block: Uint8Array) => {
    crc = zlib.crc32(block, crc);
    isize = (isize + block.length) % 2 ** 32;
    const job = deflate(block, prev?.subarray(Math.max(0, prev.length - WINDOW)));
    job.catch(() => {}); // observed when it reaches the head of the queue
    inFlight.push(job);
    prev = block;
  };

  const cut = (n: number): Uint8Array => {
    if (pending.length === 1 && pending[0]!.length === n) {
      const only = pending[0]!;
      pending = [];
      pendingBytes = 0;
      return only;
    }
    const block = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const head = pending[0]!;
      const take = Math.min(head.length, n - off);
      block.set(head.subarray(0, take), off);
      off += take;
      if (take === head.length) pending.shift();
      else pending[0] = head.subarray(take);
    }
    pendingBytes -= n;
    return block;
  };

  /** Read input until `concurrency` blocks are in flight or the input ends. */
  const topUp = async () => {
    while (inFlight.length < concurrency) {
      if (pendingBytes >= BLOCK_SIZE) {
        startBlock(cut(BLOCK_SIZE));
      } else if (inputDone) {
        if (pendingBytes > 0) startBlock(cut(pendingBytes));
        return;
      } else {
        const r = await reader.read();
        if (r.done) inputDone = true;
        else if (r.value.length > 0) {
          pending.push(r.value);
          pendingBytes += r.value.length;
        }
      }
    }
  };

  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (!started) {
          started = true;
          controller.enqueue(HEADER);
        }
        await topUp();
        const next = inFlight.shift();
        if (next) {
          controller.enqueue(await next);
          await topUp(); // keep the pool busy while the consumer writes this block
          return;
        }
        const trailer = new Uint8Array(8);
        const view = new DataView(trailer.buffer);
        view.setUint32(0, crc >>> 0, true);
        view.setUint32(4, isize >>> 0, true);
        controller.enqueue(FINAL_BLOCK);
        controller.enqueue(trailer);
        controller.close();
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

const SAMPLE = 8 * 1024;

/** True when three samples of `block` (start, middle, end) each deflate to ≥ 99% of their size. */
function looksIncompressible(zlib: typeof Zlib, block: Uint8Array, level: number): boolean {
  if (block.length < 4 * SAMPLE) return false;
  for (const at of [0, (block.length - SAMPLE) >> 1, block.length - SAMPLE]) {
    const sample = block.subarray(at, at + SAMPLE);
    if (zlib.deflateRawSync(sample, { level }).length < SAMPLE * 0.99) return false;
  }
  return true;
}
