import { KilnError, RegistryError } from "../errors.ts";
import type { Digest } from "../image/index.ts";
import { repositoryScope } from "./challenge.ts";
import { errorFromResponse } from "./response-error.ts";
import { isConnectionError, type RegistryTransport } from "./transport.ts";

export interface DownloadOptions {
  onProgress?: (current: number) => void;
  onRetry?: (attempt: number, reason: string) => void;
  /** Reconnections allowed for one blob (default 4). */
  retries?: number;
  backoffMs?: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A blob's bytes as one stream that survives dropped connections: when the
 * body fails or ends early, the download goes on from the last byte received
 * with a Range request (or from the start, skipping what was already passed
 * on, when the server ignores Range), after an exponential backoff and at
 * most `retries` times. It never yields more than `size` bytes. Checking the
 * digest is the consumer's job (the store hashes as it writes).
 */
export function downloadBlob(t: RegistryTransport, repository: string, blob: { digest: Digest; size: number }, opts: DownloadOptions = {}): ReadableStream<Uint8Array> {
  const retries = opts.retries ?? 4;
  const backoff = opts.backoffMs ?? 250;
  const what = `blob ${blob.digest} of ${repository}`;
  let offset = 0;
  let skip = 0;
  let attempts = 0;
  let reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  type ReadResult = Awaited<ReturnType<ReadableStreamDefaultReader<Uint8Array>['read']>>;

  async function open(): Promise<void> {
    const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    const res = await t.request({ path: `/v2/${repository}/blobs/${blob.digest}`, headers, scopes: [repositoryScope(repository, ["pull"])] });
    if (res.status === 206) {
      const start = Number(/bytes (\d+)-/.exec(res.headers.get("content-range") ?? "")?.[1] ?? -1);
      if (start !== offset) throw new RegistryError("E_REGISTRY", `${t.registry}: ${what}: asked for bytes from ${offset}, got a range from ${start}`);
      skip = 0;
    } else if (res.status === 200) {
      skip = offset;
    } else {
      throw await errorFromResponse(res, { registry: t.registry, what });
    }
    if (!res.body) throw new RegistryError("E_REGISTRY", `${t.registry}: ${what}: empty response`);
    reader = res.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  }

  async function interrupted(reason: string): Promise<void> {
    reader?.cancel().catch(() => undefined);
    reader = undefined;
    if (attempts >= retries) {
      throw new RegistryError("E_REGISTRY", `${t.registry}: ${what}: download failed after ${attempts + 1} attempts: ${reason}`, {
        hint: "check the network and the registry, then pull again (complete layers are kept)",
      });
    }
    attempts++;
    opts.onRetry?.(attempts, reason);
    await sleep(backoff * 2 ** (attempts - 1));
  }

  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      for (;;) {
        let chunk: ReadResult;
        try {
          if (!reader) await open();
          chunk = await reader!.read();
        } catch (err) {
          // Answers of the registry (404, 401, a bad range) are final; broken connections are not.
          if (err instanceof KilnError && !isConnectionError(err)) throw err;
          await interrupted((err as Error).message);
          continue;
        }
        if (chunk.done) {
          if (offset === blob.size) {
            controller.close();
            return;
          }
          await interrupted(`connection closed after ${offset} of ${blob.size} bytes`);
          continue;
        }
        let bytes = chunk.value;
        if (skip > 0) {
          const n = Math.min(skip, bytes.byteLength);
          skip -= n;
          bytes = bytes.subarray(n);
          if (bytes.byteLength === 0) continue;
        }
        if (offset + bytes.byteLength > blob.size) {
          reader?.cancel().catch(() => undefined);
          throw new RegistryError("E_BLOB_DIGEST_MISMATCH", `${t.registry}: ${what} is longer than its declared size ${blob.size}`, {
            hint: "the registry serves corrupt content; the store kept nothing of this blob",
          });
        }
        offset += bytes.byteLength;
        controller.enqueue(bytes);
        opts.onProgress?.(offset);
        return;
      }
    },
    cancel() {
      reader?.cancel().catch(() => undefined);
    },
  });
}
