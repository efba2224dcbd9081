import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { decompressStream, detectCompression, encodeLayer, type LayerCompression } from "../../../src/layer/index.ts";
import { gzipParallel } from "../../../src/layer/gzip-parallel.ts";
import { hasCommand, skipReason, tempDir } from "../../harness.ts";
import { collect, streamOf } from "./_tar.ts";

const sha = (b: Uint8Array): `sha256:${string}` => `sha256:${new Bun.CryptoHasher("sha256").update(b).digest("hex")}`;

/** Mixed data: incompressible noise, runs of zeros, repeated text; `n` bytes. */
function sample(n: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(n);
  for (let off = 0; off < n; off += 300_000) {
    const end = Math.min(n, off + 300_000);
    const kind = (off / 300_000) % 3;
    if (kind === 0) for (let i = off; i < end; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(end, i + 65536)));
    if (kind === 2) out.set(new TextEncoder().encode("the quick brown fox ".repeat(15_000)).subarray(0, end - off), off);
  }
  return out;
}

const data = sample(5 * 1024 * 1024 + 123);
const run = (argv: string[], stdin: Uint8Array) => Bun.spawnSync(argv, { stdin, stdout: "pipe", stderr: "pipe" });

describe("encodeLayer", () => {
  const cases: { compression: LayerCompression; mediaType: string; magic: string }[] = [
    { compression: "gzip", mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", magic: "gzip" },
    { compression: "zstd", mediaType: "application/vnd.oci.image.layer.v1.tar+zstd", magic: "zstd" },
    { compression: "none", mediaType: "application/vnd.oci.image.layer.v1.tar", magic: "none" },
  ];
  test.each(cases)("$compression: diffId is the sha256 of the raw tar, output decompresses to the same bytes", async ({ compression, mediaType, magic }) => {
    const enc = encodeLayer(streamOf(data, 70_000), compression);
    const blob = await collect(enc.stream);
    const { diffId, uncompressedSize } = await enc.done;
    expect(enc.mediaType).toBe(mediaType);
    expect(diffId).toBe(sha(data));
    expect(uncompressedSize).toBe(data.length);
    expect(detectCompression(blob)).toBe(magic as never);
    expect(sha(await collect(decompressStream(streamOf(blob, 1000))))).toBe(sha(data));
  });

  test("an error in the tar stream reaches both the output and done", async () => {
    const failing = new ReadableStream<Uint8Array>({
      pull(c) {
        c.error(new Error("upper dir vanished"));
      },
    });
    const enc = encodeLayer(failing, "gzip");
    await expect(collect(enc.stream)).rejects.toThrow("upper dir vanished");
    await expect(enc.done).rejects.toThrow("upper dir vanished");
  });

  test("parallel gzip output does not depend on the number of blocks in flight", async () => {
    const one = await collect(gzipParallel(streamOf(data), { concurrency: 1 }));
    const four = await collect(gzipParallel(streamOf(data, 4096), { concurrency: 4 }));
    expect(sha(one)).toBe(sha(four));
  });

  test("parallel gzip compresses as well as a single zlib stream (0.5% + a Huffman header per 512 KiB block)", async () => {
    const text = new TextEncoder().encode(Array.from({ length: 200_000 }, (_, i) => `${i} GET /api/v1/item/${(i * 7919) % 100_003} 200 ${i % 977}ms\n`).join(""));
    const ours = await collect(gzipParallel(streamOf(text)));
    const single = Bun.gzipSync(text, { level: 6 });
    const blocks = Math.ceil(text.length / (512 * 1024));
    expect(ours.length).toBeLessThan(single.length * 1.005 + 256 * blocks);
  });

  test("incompressible blocks are stored: no bigger than gzip -6 output, same bytes back", async () => {
    const noise = new Uint8Array(4 * 1024 * 1024);
    for (let i = 0; i < noise.length; i += 65536) crypto.getRandomValues(noise.subarray(i, i + 65536));
    const adaptive = await collect(gzipParallel(streamOf(noise)));
    const deflated = await collect(gzipParallel(streamOf(noise), { adaptive: false }));
    expect(adaptive.length).toBeLessThanOrEqual(deflated.length + 64);
    expect(adaptive.length / noise.length).toBeLessThan(1.001);
    expect(sha(Bun.gunzipSync(adaptive))).toBe(sha(noise));
  });

  test("a block with compressible samples is deflated, not stored", async () => {
    // Random bytes with a 512-byte run of zeros every 8 KiB (like small files between tar headers).
    const mixed = new Uint8Array(2 * 1024 * 1024);
    for (let i = 0; i < mixed.length; i += 8704) crypto.getRandomValues(mixed.subarray(i, Math.min(mixed.length, i + 8192)));
    const adaptive = await collect(gzipParallel(streamOf(mixed)));
    const deflated = await collect(gzipParallel(streamOf(mixed), { adaptive: false }));
    expect(adaptive.length).toBe(deflated.length);
  });

  test("empty input gives a valid empty gzip", async () => {
    const out = await collect(gzipParallel(streamOf(new Uint8Array(0))));
    expect(Bun.gunzipSync(out).length).toBe(0);
  });
});

const noTools = skipReason(!hasCommand("gzip") || !hasCommand("zstd") || !hasCommand("tar"), "gzip, zstd or tar missing");
describe.skipIf(noTools)("encodeLayer output read by the system tools", () => {
  test("gzip -dc and zstd -dc give back the exact tar; tar lists it", async () => {
    using d = tempDir("tools");
    writeFileSync(d.join("f"), data);
    const tar = Bun.spawnSync(["tar", "-cf", "-", "-C", d.path, "f"]).stdout;
    for (const [c, argv] of [["gzip", ["gzip", "-dc"]], ["zstd", ["zstd", "-dc"]]] as const) {
      const blob = await collect(encodeLayer(streamOf(tar), c).stream);
      const r = run([...argv], blob);
      expect(r.exitCode).toBe(0);
      expect(sha(r.stdout)).toBe(sha(tar));
      const list = run(["tar", c === "gzip" ? "-tzf" : "--zstd", ...(c === "gzip" ? ["-"] : ["-tf", "-"])], blob);
      expect(list.stdout.toString().trim()).toBe("f");
    }
  });
});

describe.skipIf(noTools)("decompressStream", () => {
  const tool = (argv: string[]) => () => run(argv, data).stdout;
  const tools = [
    { name: "gzip", make: tool(["gzip", "-c"]) },
    { name: "multi-member gzip (pigz, concatenated members)", make: () => Buffer.concat([Bun.gzipSync(data.subarray(0, 1_000_000)), Bun.gzipSync(data.subarray(1_000_000))]) },
    { name: "zstd", make: tool(["zstd", "-c", "-q"]) },
    { name: "bzip2", make: tool(["bzip2", "-c"]) },
    { name: "xz", make: tool(["xz", "-c"]) },
    { name: "plain", make: () => data },
  ];
  test.each(tools)("undoes $name", async ({ make }) => {
    const blob = make();
    expect(sha(await collect(decompressStream(streamOf(blob, 777))))).toBe(sha(data));
  });

  test("a corrupt xz stream is a LayerError", async () => {
    const blob = run(["xz", "-c"], data).stdout;
    blob[blob.length - 30]! ^= 0xff;
    await expect(collect(decompressStream(streamOf(blob)))).rejects.toThrow(/xz -dc failed/);
  });
  test("an input shorter than any magic passes through", async () => {
    expect(await collect(decompressStream(streamOf(new Uint8Array([1, 2]))))).toEqual(new Uint8Array([1, 2]));
  });
});
