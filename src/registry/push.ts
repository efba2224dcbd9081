import { RegistryError } from "../errors.ts";
import { shortId, type Descriptor, type Reference } from "../image/index.ts";
import { uploadBlob } from "./blob-upload.ts";
import { mapLimit, referenceOf, RegistryContext, type RepositoryHandle } from "./context.ts";
import { putManifest } from "./manifests.ts";
import type { ImageSource, PushResult, RegistryOptions } from "./types.ts";

export interface PushOptions extends RegistryOptions {
  context?: RegistryContext;
  /** Blobs bigger than this are uploaded in PATCH chunks (default 64 MiB). */
  chunkSize?: number;
}

/** Repositories of the same registry known to hold the blob (mount candidates). */
function mountCandidates(source: ImageSource, repo: RepositoryHandle, desc: Descriptor): string[] {
  const known = source.blobLocations?.(desc.digest) ?? [];
  return [...new Set(known.filter((l) => l.registry === repo.registry && l.repository !== repo.repository).map((l) => l.repository))];
}

/** Upload one blob (or find it there, or mount it) and say which (layers only: docker shows no line for the config). */
async function pushBlob(repo: RepositoryHandle, source: ImageSource, desc: Descriptor, opts: PushOptions): Promise<void> {
  const id = shortId(desc.digest);
  const progress = desc.digest === source.manifest.config.digest ? undefined : opts.progress;
  const outcome = await uploadBlob(repo.transport, repo.repository, desc, source.blob(desc.digest), {
    mountFrom: mountCandidates(source, repo, desc),
    chunkSize: opts.chunkSize,
    retries: opts.retries,
    backoffMs: opts.backoffMs,
    onProgress: (current) => progress?.({ kind: "progress", id, current, total: desc.size, action: "Pushing" }),
    onRetry: (attempt, reason) => progress?.({ kind: "retry", id, attempt, reason }),
  });
  source.recordBlobLocation?.(desc.digest, { registry: repo.registry, repository: repo.repository });
  const status = outcome.status === "exists" ? "Layer already exists" : outcome.status === "mounted" ? `Mounted from ${outcome.from}` : "Pushed";
  progress?.({ kind: "done", id, status });
}

/**
 * Push an image to `destination`: every layer and the config (HEAD first,
 * mount from a sibling repository when one is known to hold the blob, else
 * upload), at most `concurrency` at once, then the manifest, byte for byte as
 * the store holds it, so the digest is the local one; the source records the
 * digest the registry answered with.
 */
export async function pushImage(source: ImageSource, destination: string | Reference, opts: PushOptions = {}): Promise<PushResult> {
  const { ref, canonical } = referenceOf(destination);
  const context = opts.context ?? new RegistryContext(opts);
  const repo = context.repositories(ref, "push")[0]!;
  const blobs = [...source.manifest.layers, source.manifest.config];
  const unique = blobs.filter((b, i) => blobs.findIndex((x) => x.digest === b.digest) === i);
  for (const l of source.manifest.layers) opts.progress?.({ kind: "waiting", id: shortId(l.digest), digest: l.digest, size: l.size });
  await mapLimit(unique, opts.concurrency ?? 3, (desc) => pushBlob(repo, source, desc, opts));
  const target = ref.tag ?? ref.digest!;
  const digest = await putManifest(repo.transport, repo.repository, target, source.manifestBytes, source.manifestMediaType);
  if (ref.digest && ref.digest !== digest) {
    throw new RegistryError("E_BLOB_DIGEST_MISMATCH", `pushed manifest has digest ${digest}, not ${ref.digest} as the destination names`);
  }
  source.recordRepoDigest?.(canonical, digest);
  return { ref: canonical, tag: ref.tag, digest, size: source.manifestBytes.byteLength };
}
