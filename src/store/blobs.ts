import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { errnoCode, KilnError, LayerError, StoreError } from "../errors.ts";
import { digestHex, isDigest, type Digest } from "../image/index.ts";
import { sha256File, Sha256Stream } from "../util/digest.ts";
import { fsyncDir } from "../util/fs-atomic.ts";

export type BlobInput = ReadableStream<Uint8Array> | Uint8Array | string;

export interface BlobExpectation {
  digest?: Digest;
  size?: number;
}

function mismatch(what: string, path: string): StoreError {
  return new StoreError("E_BLOB_DIGEST_MISMATCH", what, {
    hint: `the data is corrupt: remove ${path} (or the image, with kiln rmi) and pull or load the image again`,
  });
}

/** A unique name for a temp file or dir of this process under the store's tmp/. */
export function tempName(prefix: string): string {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

async function* chunksOf(data: BlobInput): AsyncGenerator<Uint8Array> {
  if (typeof data === "string") yield Buffer.from(data);
  else if (data instanceof Uint8Array) yield data;
  else yield* data as unknown as AsyncIterable<Uint8Array>;
}

/**
 * Content-addressed blobs under `blobs/sha256/` (OCI image layout). Writes go
 * to a temp file in the store's tmp/ while hashing, are fsynced, checked
 * against what the caller expects, then renamed into place: a blob file is
 * complete or absent, never half-written. Reads are verified as they stream.
 */
export class BlobStore {
  readonly dir: string;

  constructor(
    root: string,
    private readonly tmpDir: string,
  ) {
    this.dir = join(root, "blobs/sha256");
    mkdirSync(this.dir, { recursive: true });
  }

  path(d: Digest): string {
    return join(this.dir, digestHex(d));
  }

  has(d: Digest): boolean {
    return existsSync(this.path(d));
  }

  size(d: Digest): number {
    return statSync(this.path(d)).size;
  }

  /** Store bytes or a stream; with `expect`, refuse content that is not what was announced. */
  async put(data: BlobInput, expect: BlobExpectation = {}): Promise<{ digest: Digest; size: number }> {
    if (expect.digest && this.has(expect.digest)) {
      if (data instanceof ReadableStream) await data.cancel();
      return { digest: expect.digest, size: this.size(expect.digest) };
    }
    const tmp = join(this.tmpDir, tempName("blob"));
    const hash = new Sha256Stream();
    // Loaded here, not at start-up (scripts/lint.ts SLOW_TO_LOAD).
    const { open } = await import("node:fs/promises");
    const fh = await open(tmp, "wx", 0o644);
    try {
      for await (const chunk of chunksOf(data)) {
        hash.update(chunk);
        let off = 0;
        while (off < chunk.byteLength) off += (await fh.write(chunk, off, chunk.byteLength - off)).bytesWritten;
      }
      await fh.sync();
    } catch (err) {
      await fh.close();
      unlinkSync(tmp);
      throw err;
    }
    await fh.close();
    const digest = hash.digest();
    if ((expect.digest && expect.digest !== digest) || (expect.size !== undefined && expect.size !== hash.size)) {
      unlinkSync(tmp);
      const want = `${expect.digest ?? "any digest"}${expect.size !== undefined ? `, ${expect.size} bytes` : ""}`;
      throw mismatch(`blob content does not match: expected ${want}, got ${digest}, ${hash.size} bytes`, "the source");
    }
    renameSync(tmp, this.path(digest));
    fsyncDir(this.dir);
    return { digest, size: hash.size };
  }

  /** Stream a blob; the stream errors with E_BLOB_DIGEST_MISMATCH at its end if the bytes are not `d`. */
  open(d: Digest): ReadableStream<Uint8Array> {
    const path = this.path(d);
    if (!existsSync(path)) throw new StoreError("E_BLOB_NOT_FOUND", `blob ${d} is missing from the store`);
    const hash = new Sha256Stream();
    return Bun.file(path)
      .stream()
      .pipeThrough(
        new TransformStream<Uint8Array, Uint8Array>({
          transform(chunk, controller) {
            hash.update(chunk);
            controller.enqueue(chunk);
          },
          flush() {
            const got = hash.digest();
            if (got !== d) throw mismatch(`blob ${d} is corrupt: its content hashes to ${got}`, path);
          },
        }),
      );
  }

  /** A whole (small) blob, verified. */
  async read(d: Digest): Promise<Uint8Array> {
    const path = this.path(d);
    if (!existsSync(path)) throw new StoreError("E_BLOB_NOT_FOUND", `blob ${d} is missing from the store`);
    // Manifests and configs are a few KiB: a plain read() beats Bun.file's async path, whose
    // first use in a process costs ~1 ms (a fully cached build reads two of these).
    const bytes = new Uint8Array(readFileSync(path));
    const got = new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
    if (`sha256:${got}` !== d) throw mismatch(`blob ${d} is corrupt: its content hashes to sha256:${got}`, path);
    return bytes;
  }

  async readJson<T>(d: Digest): Promise<T> {
    return JSON.parse(new TextDecoder().decode(await this.read(d))) as T;
  }

  /**
   * Turn a failure while reading blob `d` through a decoder into an error a
   * person can act on. A damaged blob usually fails inside the decompressor
   * (a LayerError: "the gzip-compressed data is corrupt") before our own
   * digest check at the end of the stream, so hash the blob to tell a damaged
   * blob from a layer that was bad when it came in.
   */
  async explainReadFailure(err: unknown, d: Digest): Promise<unknown> {
    if (err instanceof KilnError && !(err instanceof LayerError) && err.code !== "E_INTERNAL") return err;
    const path = this.path(d);
    const actual = existsSync(path) ? (await sha256File(path)).digest : undefined;
    if (actual !== d) return mismatch(`blob ${d} is corrupt: its content hashes to ${actual ?? "nothing (it is missing)"}`, path);
    // The blob is what was stored: the layer itself is bad. Say which one.
    if (err instanceof LayerError) return new LayerError(err.code, `layer ${d}: ${err.message}`, { cause: err, hint: err.hint });
    const why = err instanceof Error ? err.message || errnoCode(err) || err.name : String(err);
    return new StoreError("E_LAYER", `cannot read layer ${d}: ${why}`, { cause: err, hint: "the layer is not a valid (compressed) tar" });
  }

  /** Every blob digest present (for garbage collection). */
  list(): Digest[] {
    return readdirSync(this.dir)
      .map((n) => `sha256:${n}`)
      .filter(isDigest);
  }

  remove(d: Digest): void {
    try {
      unlinkSync(this.path(d));
    } catch {
      // already gone: another prune got there first
    }
  }
}
