import { describe, expect, test } from "bun:test";
import { LayerError, StoreError } from "../../../src/errors.ts";
import { decompressStream } from "../../../src/layer/index.ts";
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
