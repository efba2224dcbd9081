import { RegistryError } from "../errors.ts";
import type { Digest } from "../image/index.ts";
import { repositoryScope } from "./challenge.ts";
import { errorFromResponse } from "./response-error.ts";
import { isConnectionError, type RegistryTransport } from "./transport.ts";

export type UploadOutcome = { status: "exists" } | { status: "mounted"; from: string } | { status: "pushed" };

export interface UploadOptions {
  /** Other repositories of the same registry that hold the blob: try a cross-repository mount first. */
  mountFrom?: string[];
  /** Blobs bigger than this go up in PATCH chunks of this size (default 64 MiB); smaller ones in one PUT. */
  chunkSize?: number;
  onProgress?: (current: number) => void;
  onRetry?: (attempt: number, reason: string) => void;
  retries?: number;
  backoffMs?: number;
}

const DEFAULT_CHUNK = 64 << 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Does the repository already have the blob? (HEAD /v2/NAME/blobs/DIGEST) */
export async function hasRemoteBlob(t: RegistryTransport, repository: string, digest: Digest): Promise<boolean> {
  const res = await t.request({ method: "HEAD", path: `/v2/${repository}/blobs/${digest}`, scopes: [repositoryScope(repository, ["pull", "push"])] });
  if (res.status === 200) return true;
  if (res.status === 404) return false;
  throw await errorFromResponse(res, { registry: t.registry, what: `blob ${digest} of ${repository}` });
}

/**
 * Mount a blob from another repository of the same registry, without
 * uploading anything: true when the registry mounted it. A registry that
 * cannot mount opens an upload session instead, which is cancelled.
 */
export async function mountBlob(t: RegistryTransport, repository: string, digest: Digest, from: string): Promise<boolean> {
  const res = await t.request({
    method: "POST",
    path: `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`,
    scopes: [repositoryScope(repository, ["pull", "push"]), repositoryScope(from, ["pull"])],
  });
  await res.arrayBuffer().catch(() => undefined);
  if (res.status === 201) return true;
  const location = res.headers.get("location");
  if (res.status === 202 && location) {
    const cancel = await t.request({ method: "DELETE", path: await t.resolveLocation(location), scopes: [repositoryScope(repository, ["pull", "push"])] }).catch(() => undefined);
    await cancel?.arrayBuffer().catch(() => undefined);
  }
  return false;
}

function withDigest(location: string, digest: Digest): string {
  return `${location}${location.includes("?") ? "&" : "?"}digest=${encodeURIComponent(digest)}`;
}

/**
 * Start an upload session, mounting the blob from another repository when
 * one is known to hold it. Returns "mounted" or the session's Location.
 */
async function startUpload(t: RegistryTransport, repository: string, digest: Digest, mountFrom: string[]): Promise<{ mounted: string } | { location: string }> {
  const push = repositoryScope(repository, ["pull", "push"]);
  const what = `upload of ${digest} to ${repository}`;
  for (const from of mountFrom) {
    const res = await t.request({
      method: "POST",
      path: `/v2/${repository}/blobs/uploads/?mount=${encodeURIComponent(digest)}&from=${encodeURIComponent(from)}`,
      scopes: [push, repositoryScope(from, ["pull"])],
    });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status === 201) return { mounted: from };
    // 202: the registry could not mount and opened an ordinary upload instead.
    if (res.status === 202 && res.headers.get("location")) return { location: await t.resolveLocation(res.headers.get("location")!) };
  }
  const res = await t.expect({ method: "POST", path: `/v2/${repository}/blobs/uploads/`, scopes: [push] }, [202], { what });
  await res.arrayBuffer().catch(() => undefined);
  const location = res.headers.get("location");
  if (!location) throw new RegistryError("E_REGISTRY", `${t.registry}: ${what}: no upload location in the answer`);
  return { location: await t.resolveLocation(location) };
}

/** PATCH the chunks from `offset` on, then PUT ?digest= to finish; returns when the registry accepted it. */
async function sendChunks(t: RegistryTransport, repository: string, blob: { digest: Digest; size: number }, data: Blob, location: string, chunk: number, opts: UploadOptions): Promise<void> {
  const scopes = [repositoryScope(repository, ["pull", "push"])];
  const what = `upload of ${blob.digest} to ${repository}`;
  if (blob.size <= chunk) {
    const res = await t.expect(
      { method: "PUT", path: withDigest(location, blob.digest), headers: { "content-type": "application/octet-stream" }, body: () => data, scopes },
      [201, 204],
      { what },
    );
    await res.arrayBuffer().catch(() => undefined);
    opts.onProgress?.(blob.size);
    return;
  }
  for (let start = 0; start < blob.size; start += chunk) {
    const end = Math.min(start + chunk, blob.size);
    const res = await t.expect(
      {
        method: "PATCH",
        path: location,
        headers: { "content-type": "application/octet-stream", "content-range": `${start}-${end - 1}` },
        body: () => data.slice(start, end),
        scopes,
      },
      [202, 204],
      { what },
    );
    await res.arrayBuffer().catch(() => undefined);
    location = await t.resolveLocation(res.headers.get("location") ?? location);
    opts.onProgress?.(end);
  }
  const res = await t.expect({ method: "PUT", path: withDigest(location, blob.digest), scopes }, [201, 204], { what });
  await res.arrayBuffer().catch(() => undefined);
}

/**
 * Put a blob into a repository: nothing if it is there already, a
 * cross-repository mount if possible, else a monolithic PUT (small blobs) or
 * PATCH chunks with Content-Range then PUT ?digest=. An interrupted upload
 * starts a fresh session, at most `retries` times, with backoff.
 */
export async function uploadBlob(t: RegistryTransport, repository: string, blob: { digest: Digest; size: number }, data: Blob, opts: UploadOptions = {}): Promise<UploadOutcome> {
  if (await hasRemoteBlob(t, repository, blob.digest)) return { status: "exists" };
  const retries = opts.retries ?? 4;
  for (let attempt = 0; ; attempt++) {
    try {
      const started = await startUpload(t, repository, blob.digest, attempt === 0 ? (opts.mountFrom ?? []) : []);
      if ("mounted" in started) return { status: "mounted", from: started.mounted };
      await sendChunks(t, repository, blob, data, started.location, opts.chunkSize ?? DEFAULT_CHUNK, opts);
      return { status: "pushed" };
    } catch (err) {
      // The registry's own refusals (auth, bad digest) are final; broken connections are retried.
      if (!isConnectionError(err) || attempt >= retries) throw err;
      opts.onRetry?.(attempt + 1, (err as Error).message);
      await sleep((opts.backoffMs ?? 250) * 2 ** attempt);
    }
  }
}
