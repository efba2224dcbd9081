// One pass from layer tar to blob: the uncompressed bytes are hashed (the
// diffID) as they flow into the compressor, and the compressed bytes flow out
// to the caller, who hashes and writes them (store/blobs). Nothing holds a
// whole layer: every stage pulls one chunk at a time (STYLE.md P5).
import type * as Stream from "node:stream";
import type * as Zlib from "node:zlib";
import { Sha256Stream, type Sha256Digest } from "../util/digest.ts";
import { gzipParallel } from "./gzip-parallel.ts";

/** Layer blob compression (image/'s LayerCompression; layer/ may not import image/). */
export type LayerCompression = "gzip" | "zstd" | "none";

// The OCI spec's layer media types (also in image/media-types.ts, which layer/ may not import).
const MEDIA_TYPES: Record<LayerCompression, string> = {
  gzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  zstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  none: "application/vnd.oci.image.layer.v1.tar",
};

export interface EncodedLayer {
  /** The blob bytes (compressed as asked); the caller hashes them as it stores them. */
  stream: ReadableStream<Uint8Array>;
  /** Resolves once the whole tar has gone through: its sha256 (the diffID) and size. */
  done: Promise<{ diffId: Sha256Digest; uncompressedSize: number }>;
  /** The OCI layer media type for `compression`. */
  mediaType: string;
}

/** Compress a layer tar in one streaming pass, computing its diffID on the way. */
export function encodeLayer(tar: ReadableStream<Uint8Array>, compression: LayerCompression = "gzip"): EncodedLayer {
  let settle!: { resolve: (v: { diffId: Sha256Digest; uncompressedSize: number }) => void; reject: (e: unknown) => void };
  const done = new Promise<{ diffId: Sha256Digest; uncompressedSize: number }>((resolve, reject) => {
    settle = { resolve, reject };
  });
  done.catch(() => {}); // the stream carries the same error to whoever reads it
  const hashed = tapHash(tar, (h) => settle.resolve({ diffId: h.digest(), uncompressedSize: h.size }), settle.reject);
  return { stream: compress(hashed, compression), done, mediaType: MEDIA_TYPES[compression] };
}

function compress(tar: ReadableStream<Uint8Array>, compression: LayerCompression): ReadableStream<Uint8Array> {
  switch (compression) {
    case "none":
      return tar;
    case "gzip":
      return gzipParallel(tar);
    case "zstd": {
      // Lazy: node:zlib and node:stream cost start-up time (scripts/lint.ts, SLOW_TO_LOAD).
      const zlib = require("node:zlib") as typeof Zlib;
      const { Duplex } = require("node:stream") as typeof Stream;
      return tar.pipeThrough(Duplex.toWeb(zlib.createZstdCompress()) as TransformStream<Uint8Array, Uint8Array>);
    }
  }
}

/** Pass `input` through unchanged, hashing every byte; report the hash at the end, or the error. */
function tapHash(input: ReadableStream<Uint8Array>, onEnd: (h: Sha256Stream) => void, onError: (e: unknown) => void): ReadableStream<Uint8Array> {
  const reader = input.getReader();
  const hash = new Sha256Stream();
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const r = await reader.read().catch((err: unknown) => {
          onError(err);
          throw err;
        });
        if (r.done) {
          onEnd(hash);
          controller.close();
        } else {
          hash.update(r.value);
          controller.enqueue(r.value);
        }
      },
      cancel(reason) {
        onError(reason ?? new Error("layer stream cancelled"));
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
