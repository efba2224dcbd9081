import { posix } from "node:path";
import type * as TarStream from "tar-stream";

// Image archives (docker save / OCI archives) through tar-stream, loaded
// lazily: tar-stream pulls in node:stream, which costs every kiln start-up
// (scripts/lint.ts, SLOW_TO_LOAD). This file writes them; _tar-members.ts reads.

export function tarStream(): typeof TarStream {
  return require("tar-stream") as typeof TarStream;
}

interface Emitter {
  once(event: string, fn: () => void): unknown;
  off(event: string, fn: () => void): unknown;
}

/** Resolve when a writable wants more, reject if it closes first. */
export function drained(w: Emitter): Promise<void> {
  return new Promise((resolve, reject) => {
    const onDrain = () => {
      w.off("close", onClose);
      resolve();
    };
    const onClose = () => {
      w.off("drain", onDrain);
      reject(new Error("tar stream closed"));
    };
    w.once("drain", onDrain);
    w.once("close", onClose);
  });
}

/** An archive member name in canonical form: no leading "./" or "/", no trailing "/". */
export function memberName(name: string): string {
  return posix.normalize(name).replace(/^(?:\.\/|\/)+/, "").replace(/\/+$/, "");
}

/** Writes a tar one entry at a time; `pump` delivers the bytes to `sink` as they are produced. */
export class TarWriter {
  private readonly pack = tarStream().pack();
  readonly pump: Promise<void>;

  constructor(sink: (chunk: Uint8Array) => Promise<void> | void) {
    this.pump = (async () => {
      for await (const chunk of this.pack as unknown as AsyncIterable<Uint8Array>) await sink(chunk);
    })();
    // A failing sink (disk full, closed pipe) must end the entry writes waiting on it too.
    this.pump.catch((err: unknown) => this.pack.destroy(err as Error));
  }

  dir(name: string): Promise<void> {
    return this.bytes(name, undefined, "directory");
  }

  bytes(name: string, data: string | Uint8Array | undefined, type: "file" | "directory" = "file"): Promise<void> {
    const buf = Buffer.from(data ?? "");
    return new Promise((resolve, reject) => {
      this.pack.entry({ name, type, mode: type === "directory" ? 0o755 : 0o644, mtime: new Date(0), size: buf.length }, buf, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** An entry from a web stream of known size (a verified blob: a digest error aborts the archive). */
  stream(name: string, size: number, data: ReadableStream<Uint8Array>): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = this.pack.entry({ name, type: "file", mode: 0o644, mtime: new Date(0), size }, (err) => (err ? reject(err) : resolve()));
      entry.on("error", reject);
      (async () => {
        for await (const chunk of data as unknown as AsyncIterable<Uint8Array>) {
          if (!entry.write(chunk)) await drained(entry);
        }
        (entry as unknown as { end(): void }).end();
      })().catch((err: unknown) => {
        entry.destroy(err as Error);
        reject(err);
      });
    });
  }

  /** Stop after a failure: the tar is incomplete and must not be used. */
  abort(err: Error): void {
    this.pack.on("error", () => {});
    this.pack.destroy(err);
  }

  async finish(): Promise<void> {
    this.pack.finalize();
    await this.pump;
  }
}
