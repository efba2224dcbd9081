import { describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LayerError } from "../../../src/errors.ts";
import { decompressStream } from "../../../src/layer/index.ts";
import { sha256 } from "../../../src/util/digest.ts";
import { BlobStore } from "../../../src/store/blobs.ts";
import { tempDir } from "../../harness.ts";

function streamOf(...parts: string[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const p of parts) c.enqueue(new TextEncoder().encode(p));
      c.close();
    },
  });
}

function setup() {
  const dir = tempDir("blobs");
  const tmp = dir.join("tmp");
  mkdirSync(tmp);
  return { dir, blobs: new BlobStore(dir.path, tmp), tmp };
}

describe("BlobStore.put", () => {
  const rows: [string, () => string | Uint8Array | ReadableStream<Uint8Array>][] = [
    ["a string", () => "hello world"],
    ["bytes", () => new TextEncoder().encode("hello world")],
    ["a stream in pieces", () => streamOf("hello", " ", "world")],
  ];
  for (const [name, data] of rows) {
    test(`stores ${name} under its digest`, async () => {
      const { dir, blobs, tmp } = setup();
      using _ = dir;
      const r = await blobs.put(data());
      expect(r).toEqual({ digest: sha256("hello world"), size: 11 });
      expect(readFileSync(blobs.path(r.digest), "utf8")).toBe("hello world");
      expect(readdirSync(tmp)).toEqual([]);
    });
  }

  const bad: [string, { digest?: `sha256:${string}`; size?: number }][] = [
    ["the wrong digest", { digest: sha256("something else") }],
    ["the wrong size", { size: 3 }],
  ];
  for (const [name, expect_] of bad) {
    test(`refuses content with ${name} and leaves nothing behind`, async () => {
      const { dir, blobs, tmp } = setup();
      using _ = dir;
      await expect(blobs.put(streamOf("hello world"), expect_)).rejects.toMatchObject({ code: "E_BLOB_DIGEST_MISMATCH" });
      expect(readdirSync(tmp)).toEqual([]);
      expect(blobs.list()).toEqual([]);
    });
  }

  test("an expected blob that is already there is not written again", async () => {
    const { dir, blobs } = setup();
    using _ = dir;
    const { digest } = await blobs.put("abc");
    const stream = streamOf("abc");
    expect(await blobs.put(stream, { digest })).toEqual({ digest, size: 3 });
    expect(stream.locked).toBe(false);
  });
});

describe("reading blobs verifies them", () => {
  test("open streams a good blob", async () => {
    const { dir, blobs } = setup();
    using _ = dir;
    const { digest } = await blobs.put("payload");
    expect(await new Response(blobs.open(digest)).text()).toBe("payload");
  });

  test("a flipped byte is caught at the end of the stream", async () => {
    const { dir, blobs } = setup();
    using _ = dir;
    const data = "x".repeat(100_000);
    const { digest } = await blobs.put(data);
    const bytes = readFileSync(blobs.path(digest));
    bytes[50_000] = bytes[50_000]! ^ 1;
    writeFileSync(blobs.path(digest), bytes);
    await expect(new Response(blobs.open(digest)).text()).rejects.toMatchObject({ code: "E_BLOB_DIGEST_MISMATCH" });
    await expect(blobs.read(digest)).rejects.toMatchObject({ code: "E_BLOB_DIGEST_MISMATCH" });
  });

  test("a layer blob stored with bad gzip (intact as a blob) fails as a LayerError naming the layer", async () => {
    const { dir, blobs } = setup();
    using _ = dir;
    const gz = Bun.gzipSync(new TextEncoder().encode("y".repeat(10_000)));
    gz[gz.length - 6]! ^= 0xff; // the CRC in the trailer
    const { digest } = await blobs.put(gz);
    const err = await blobs.explainReadFailure(await new Response(decompressStream(blobs.open(digest))).text().catch((e: unknown) => e), digest);
    expect(err).toBeInstanceOf(LayerError);
    expect((err as LayerError).message).toBe(`layer ${digest}: the gzip-compressed data is corrupt: incorrect data check`);
    expect((err as LayerError).hint).toContain("damaged");
  });

  test("a missing blob is E_BLOB_NOT_FOUND", () => {
    const { dir, blobs } = setup();
    using _ = dir;
    expect(() => blobs.open(sha256("nope"))).toThrow(expect.objectContaining({ code: "E_BLOB_NOT_FOUND" }));
  });

  test("list ignores files that are not digests", async () => {
    const { dir, blobs } = setup();
    using _ = dir;
    const { digest } = await blobs.put("a");
    writeFileSync(join(blobs.dir, "junk"), "");
    expect(blobs.list()).toEqual([digest]);
  });
});
