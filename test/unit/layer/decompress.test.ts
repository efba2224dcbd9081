import { describe, expect, test } from "bun:test";
import { LayerError, StoreError } from "../../../src/errors.ts";
import { decompressStream } from "../../../src/layer/index.ts";
import { hasCommand, skipReason } from "../../harness.ts";
import { collect, streamOf } from "./_tar.ts";

const data = new Uint8Array(300_000).map((_, i) => (i * 7 + (i >> 9)) % 256);
const flip = (b: Uint8Array, at: number): Uint8Array => {
  const out = b.slice();
  out[at < 0 ? out.length + at : at]! ^= 0xff;
  return out;
};

describe("decompressStream: damaged compressed data is a LayerError that says so", () => {
  const gz = Bun.gzipSync(data);
  const zst = Bun.zstdCompressSync(data);
  const rows: { name: string; blob: Uint8Array; message: RegExp }[] = [
    { name: "gzip with a wrong CRC in its trailer", blob: flip(gz, -6), message: /^the gzip-compressed data is corrupt: incorrect data check$/ },
    { name: "gzip with a damaged byte in the middle", blob: flip(gz, gz.length >> 1), message: /^the gzip-compressed data is corrupt: \w/ },
    { name: "gzip that stops early", blob: gz.subarray(0, gz.length >> 1), message: /^the gzip-compressed data is corrupt: unexpected end of file$/ },
    { name: "zstd with a damaged block", blob: flip(zst, -3), message: /^the zstd-compressed data is corrupt: \w/ },
  ];
  for (const r of rows) {
    test(r.name, async () => {
      let err: unknown;
      await collect(decompressStream(streamOf(r.blob, 4096))).catch((e: unknown) => (err = e));
      expect(err).toBeInstanceOf(LayerError);
      expect((err as LayerError).code).toBe("E_LAYER");
      expect((err as LayerError).message).toMatch(r.message);
      expect((err as LayerError).hint).toBe("The file or blob is damaged or incomplete: fetch, pull or load it again.");
    });
  }

  test("an error of the input stream itself passes through unchanged", async () => {
    let sent = false;
    const failing = new ReadableStream<Uint8Array>({
      pull(c) {
        if (sent) return c.error(new StoreError("E_BLOB_DIGEST_MISMATCH", "blob is corrupt"));
        sent = true;
        c.enqueue(gz.subarray(0, 1000));
      },
    });
    await expect(collect(decompressStream(failing))).rejects.toMatchObject({ code: "E_BLOB_DIGEST_MISMATCH", message: "blob is corrupt" });
  });

  test("intact gzip still decodes", async () => {
    expect(await collect(decompressStream(streamOf(gz, 1000)))).toEqual(data);
  });
});

// Bun's zstd decoder does not notice input that stops part-way through a frame;
// decompressStream follows the frames (layer/zstd-frames.ts). Streams made by the zstd tool.
describe.skipIf(skipReason(!hasCommand("zstd"), "the zstd tool is not installed"))("decompressStream: zstd must end where a frame ends", () => {
  const zstd = (input: Uint8Array, ...flags: string[]): Uint8Array => {
    const r = Bun.spawnSync(["zstd", "-q", "-c", ...flags], { stdin: input, stdout: "pipe" });
    if (r.exitCode !== 0) throw new Error("zstd failed");
    return new Uint8Array(r.stdout);
  };
  const cat = (...parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
  const le32 = (n: number) => new Uint8Array(new Uint32Array([n]).buffer);
  const small = data.subarray(0, 1000);
  const one = zstd(data); // one frame, several blocks, content size and checksum
  const noCheck = zstd(data, "--no-check");
  const two = cat(zstd(small), zstd(data));
  const skippable = cat(le32(0x184d2a5a), le32(5), new Uint8Array([1, 2, 3, 4, 5]), zstd(small));
  const good: [string, Uint8Array, Uint8Array][] = [
    ["one frame with a checksum", one, data],
    ["a frame without a checksum", noCheck, data],
    ["two frames in a row", two, cat(small, data)],
    ["a skippable frame, then a frame", skippable, small],
    ["Bun's own zstd", Bun.zstdCompressSync(data), data],
  ];
  for (const [name, blob, want] of good) {
    test(`whole: ${name}`, async () => expect(await collect(decompressStream(streamOf(blob, 4096)))).toEqual(new Uint8Array(want)));
  }
  const cut = (b: Uint8Array, n: number) => b.subarray(0, n < 0 ? b.length + n : n);
  const bad: [string, Uint8Array, RegExp][] = [
    ["cut inside the frame header", cut(one, 6), /truncated: it ends inside a frame$/],
    ["cut in the middle of a block", cut(one, one.length >> 1), /truncated: it ends inside a frame$/],
    ["cut before the content checksum", cut(one, -4), /truncated: it ends inside a frame$/],
    ["cut inside the content checksum", cut(one, -1), /truncated: it ends inside a frame$/],
    ["no checksum, cut in the last block", cut(noCheck, -1), /truncated: it ends inside a frame$/],
    ["cut a few bytes into the second frame", cut(two, zstd(small).length + 3), /truncated: it ends inside a frame$/],
    ["cut inside a skippable frame", cut(skippable, 10), /truncated: it ends inside a frame$/],
    ["bytes after the last frame that are no frame", cat(one, new Uint8Array([0, 1, 2, 3, 4])), /corrupt: no zstd frame starts at frame 2$/],
  ];
  for (const [name, blob, message] of bad) {
    test(`LayerError: ${name}`, async () => {
      let err: unknown;
      await collect(decompressStream(streamOf(blob, 4096))).catch((e: unknown) => (err = e));
      expect(err).toBeInstanceOf(LayerError);
      expect((err as LayerError).message).toMatch(message);
      expect((err as LayerError).hint).toBe("The file or blob is damaged or incomplete: fetch, pull or load it again.");
    });
  }
});
