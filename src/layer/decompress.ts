// Undo whatever compression a layer blob carries, recognised by its magic
// bytes rather than trusted from a media type: gzip and zstd in-process
// (node:zlib), bzip2 and xz through the system tools (rare in layers; not
// worth a JS decoder), anything else passed through as a plain tar.
import type * as Stream from "node:stream";
import type * as Zlib from "node:zlib";
import { LayerError } from "../errors.ts";
import { ZstdFrames } from "./zstd-frames.ts";

export type DetectedCompression = "gzip" | "zstd" | "bzip2" | "xz" | "none";

const MAGIC: [DetectedCompression, number[]][] = [
  ["gzip", [0x1f, 0x8b]],
  ["zstd", [0x28, 0xb5, 0x2f, 0xfd]],
  ["bzip2", [0x42, 0x5a, 0x68]], // "BZh"
  ["xz", [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]],
];

/** The compression whose magic `head` starts with (a zstd stream may start with a skippable frame, 0x184D2A5?). */
export function detectCompression(head: Uint8Array): DetectedCompression {
  for (const [kind, magic] of MAGIC) if (magic.every((b, i) => head[i] === b)) return kind;
  if ((head[0]! & 0xf0) === 0x50 && head[1] === 0x2a && head[2] === 0x4d && head[3] === 0x18) return "zstd";
  return "none";
}

/** Decompress a layer blob of any supported compression (sniffed from its first bytes). */
export function decompressStream(data: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const reader = readerOf(data);
  let out: typeof reader | undefined;
  return pullStream(
    async () => {
      out ??= (await sniff(reader)).getReader();
      return (await out.read()).value;
    },
    (reason) => (out ?? reader).cancel(reason),
  );
}

/**
 * A stream that asks `next` for one chunk per pull (undefined ends it, a throw
 * errors it): nothing is read ahead, so a layer never sits in memory.
 */
function pullStream(next: () => Promise<Uint8Array | undefined>, cancel: (reason?: unknown) => unknown): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const chunk = await next();
        if (chunk === undefined) controller.close();
        else controller.enqueue(chunk);
      },
      async cancel(reason) {
        await cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}

function readerOf(stream: ReadableStream<Uint8Array>) {
  return stream.getReader();
}

/** Read enough to see the magic, then build the decoding stream over head + rest. */
async function sniff(reader: ReturnType<typeof readerOf>): Promise<ReadableStream<Uint8Array>> {
  const head: Uint8Array[] = [];
  let have = 0;
  while (have < 6) {
    const r = await reader.read();
    if (r.done) break;
    head.push(r.value);
    have += r.value.length;
  }
  const first = new Uint8Array(Math.min(have, 6));
  let off = 0;
  for (const c of head) {
    if (off >= first.length) break;
    const n = Math.min(c.length, first.length - off);
    first.set(c.subarray(0, n), off);
    off += n;
  }
  const whole = pullStream(async () => head.shift() ?? (await reader.read()).value, (reason) => reader.cancel(reason));
  const kind = detectCompression(first);
  // Lazy: node:zlib and node:stream cost start-up time (scripts/lint.ts, SLOW_TO_LOAD).
  if (kind === "gzip") return throughZlib(whole, kind);
  if (kind === "zstd") return throughZlib(checkedFrames(whole), kind);
  if (kind === "bzip2" || kind === "xz") return throughTool(whole, kind === "bzip2" ? ["bzip2", "-dc"] : ["xz", "-dc"]);
  return whole;
}

/**
 * Decode with node:zlib. Its failures (a CRC or length mismatch at the end of
 * a gzip member, a damaged block, data that stops early) reach a web stream
 * as a bare TypeError with an empty message: the codec's own error, seen on
 * the transform, becomes a LayerError that says the compressed data is bad.
 * Errors of the input stream itself (a blob's digest check) pass unchanged.
 */
function throughZlib(input: ReadableStream<Uint8Array>, kind: "gzip" | "zstd"): ReadableStream<Uint8Array> {
  const zlib = require("node:zlib") as typeof Zlib;
  const { Duplex } = require("node:stream") as typeof Stream;
  // 1 MiB output chunks, not 16 KiB: per-chunk stream overhead was most of the
  // cost (a 256 MiB layer: 1.65 s → see bench/store.bench.ts save and load).
  const chunkSize = 1 << 20;
  const t = kind === "gzip" ? zlib.createGunzip({ chunkSize }) : zlib.createZstdDecompress({ chunkSize });
  let codecError: (Error & { code?: unknown }) | undefined;
  t.on("error", (err: Error) => (codecError ??= err));
  const reader = input.pipeThrough(Duplex.toWeb(t) as TransformStream<Uint8Array, Uint8Array>).getReader();
  const failed = (err: unknown): never => {
    throw isCodecError(codecError) ? corruptData(kind, codecError) : err;
  };
  return pullStream(async () => (await reader.read().catch(failed)).value, (reason) => reader.cancel(reason));
}

/** zlib's errors carry Z_* codes (Z_DATA_ERROR, Z_BUF_ERROR), zstd's ZSTD_error_*. */
function isCodecError(err: (Error & { code?: unknown }) | undefined): err is Error {
  return typeof err?.code === "string" && /^(Z_|ZSTD_)/.test(err.code);
}

function corruptData(kind: "gzip" | "zstd", err: Error): LayerError {
  // "unexpected end of file" is a cut-off stream, or damage that derailed the decoder: one message for both.
  return new LayerError("E_LAYER", `the ${kind}-compressed data is corrupt: ${err.message}`, {
    cause: err,
    hint: "The file or blob is damaged or incomplete: fetch, pull or load it again.",
  });
}

/** The zstd input as it is, but an error when it is not whole frames (zstd-frames.ts: the decoder does not tell). */
function checkedFrames(input: ReadableStream<Uint8Array>): ReadableStream<Uint8Array> {
  const frames = new ZstdFrames();
  const reader = input.getReader();
  return pullStream(
    async () => {
      const r = await reader.read();
      if (r.done) return void frames.end();
      frames.push(r.value);
      return r.value;
    },
    (reason) => reader.cancel(reason),
  );
}

/** Pipe through an external decompressor; its failure (exit status) errors the stream. */
function throughTool(input: ReadableStream<Uint8Array>, argv: string[]): ReadableStream<Uint8Array> {
  let proc: ReturnType<typeof Bun.spawn<"pipe", "pipe", "pipe">>;
  try {
    proc = Bun.spawn(argv, { stdin: input, stdout: "pipe", stderr: "pipe" }) as never;
  } catch (err) {
    throw new LayerError("E_LAYER", `cannot run ${argv[0]} to decompress the layer`, { cause: err, hint: `Install ${argv[0]}.` });
  }
  const reader = proc.stdout.getReader();
  return pullStream(
    async () => {
      const r = await reader.read();
      if (!r.done) return r.value;
      const [code, err] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
      if (code !== 0) throw new LayerError("E_LAYER", `${argv.join(" ")} failed (exit ${code}): ${err.trim()}`);
      return undefined;
    },
    () => proc.kill(),
  );
}
