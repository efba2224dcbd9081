import { createReadStream } from "node:fs";
import { open } from "node:fs/promises";
import { posix, join } from "node:path";
import type * as TarStream from "tar-stream";
import { StoreError } from "../errors.ts";

// Image archives (docker save / OCI archives) through tar-stream. Loaded
// lazily: tar-stream pulls in node:stream, which costs every kiln start-up
// (scripts/lint.ts, SLOW_TO_LOAD). Archive entry names are only ever used as
// map keys, never as paths on disk: a hostile archive cannot write anywhere.

function tarStream(): typeof TarStream {
  return require("tar-stream") as typeof TarStream;
}

interface Emitter {
  once(event: string, fn: () => void): unknown;
  off(event: string, fn: () => void): unknown;
}

/** Resolve when a writable wants more, reject if it closes first. */
function drained(w: Emitter): Promise<void> {
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

  file(name: string, path: string, size: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = this.pack.entry({ name, type: "file", mode: 0o644, mtime: new Date(0), size }, (err) => (err ? reject(err) : resolve()));
      entry.on("error", reject);
      createReadStream(path).on("error", reject).pipe(entry);
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

/** A spooled archive: member name → temp file holding its bytes (links resolved). */
export interface Spooled {
  files: Map<string, string>;
  /** The temp file of `name`, following symlinks and hard links inside the archive. */
  path(name: string): string | undefined;
}

/**
 * Copy every regular member of a tar stream into `dir` (as numbered files),
 * because the index of an image archive (manifest.json) may come last.
 */
export async function spoolTar(input: ReadableStream<Uint8Array>, dir: string): Promise<Spooled> {
  const extract = tarStream().extract();
  const files = new Map<string, string>();
  const links = new Map<string, string>();
  let n = 0;
  const consume = (async () => {
    for await (const entry of extract) {
      const h = entry.header;
      const name = memberName(h.name);
      if (h.type === "file" || h.type === "contiguous-file") {
        const path = join(dir, String(n++));
        const fh = await open(path, "wx", 0o600);
        try {
          for await (const chunk of entry as unknown as AsyncIterable<Uint8Array>) await fh.write(chunk);
        } finally {
          await fh.close();
        }
        files.set(name, path);
        continue;
      }
      if (h.type === "symlink" && h.linkname) links.set(name, memberName(posix.join(posix.dirname(name), h.linkname)));
      if (h.type === "link" && h.linkname) links.set(name, memberName(h.linkname));
      entry.resume();
    }
  })();
  const feed = (async () => {
    for await (const chunk of input as unknown as AsyncIterable<Uint8Array>) {
      if (!extract.write(chunk)) {
        await drained(extract);
      }
    }
    (extract as unknown as { end(): void }).end();
  })();
  try {
    await Promise.all([consume, feed]);
  } catch (err) {
    extract.destroy();
    throw new StoreError("E_STORE", `the archive is not a readable tar: ${(err as Error).message}`, {
      cause: err,
      hint: "kiln load reads the output of 'docker save', 'kiln save' or an OCI archive (plain or compressed)",
    });
  }
  const path = (name: string): string | undefined => {
    let key = memberName(name);
    for (let i = 0; i < 40 && !files.has(key) && links.has(key); i++) key = links.get(key)!;
    return files.get(key);
  };
  return { files, path };
}
