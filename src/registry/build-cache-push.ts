/**
 * Writing the registry-backed build cache (`kiln build --cache-to`): every
 * step image of the build goes to the cache's repository — blobs first (a
 * HEAD skips what is there, a cross-repository mount beats an upload), then
 * each step manifest by digest, then the index that maps cache keys to them,
 * under the reference's tag. Step images the registry already holds (listed
 * by the index there before) cost nothing, and an index whose bytes did not
 * change is not uploaded again: re-exporting an unchanged build is one GET.
 */
import { RegistryError } from "../errors.ts";
import { MEDIA_TYPE_OCI_INDEX, type Descriptor, type Digest, type Manifest } from "../image/index.ts";
import { hasRemoteBlob, mountBlob, uploadBlob } from "./blob-upload.ts";
import { serializeCacheIndex, type CacheEntry } from "./build-cache-format.ts";
import { cacheRepository, fetchBuildCache, type RemoteBuildCache } from "./build-cache.ts";
import { mapLimit, type RegistryContext, type RepositoryHandle } from "./context.ts";
import { getManifest, putManifest } from "./manifests.ts";
import type { ImageSource, RegistryLogger } from "./types.ts";

/** One step image to export: in the local store (`local`), or only in a registry (`remote`, from a --cache-from). */
export interface CacheExportItem {
  entry: CacheEntry;
  local?: ImageSource;
  remote?: RepositoryHandle;
}

export interface CacheExportOptions {
  context: RegistryContext;
  /** The index the reference held before, if the build already read it (--cache-from of the same reference). */
  previous?: RemoteBuildCache;
  /** Bring a blob that only another registry has into the local store, and return its bytes. */
  localBlob?(from: RepositoryHandle, desc: Descriptor): Promise<Blob>;
  concurrency?: number;
  logger?: RegistryLogger;
}

export interface CacheExportResult {
  ref: string;
  digest: Digest;
  entries: number;
  /** Step manifests uploaded (the others were there already). */
  manifests: number;
  /** Blobs uploaded, and their bytes; mounted blobs are counted apart. */
  uploaded: number;
  uploadedBytes: number;
  mounted: number;
  /** The index at the reference was already this one. */
  unchanged: boolean;
}

const sameRepo = (a: RepositoryHandle, b: RepositoryHandle) => a.registry === b.registry && a.repository === b.repository;

/** A blob to put into the target, and where its bytes can come from. */
interface BlobJob {
  desc: Descriptor;
  local?: ImageSource;
  remote?: RepositoryHandle;
}

/** Push every item's image and then the cache index to `ref`. */
export async function pushBuildCache(ref: string, items: CacheExportItem[], opts: CacheExportOptions): Promise<CacheExportResult> {
  const { canonical, repo: target, tag } = cacheRepository(ref, opts.context);
  if (tag.startsWith("sha256:")) throw new RegistryError("E_REFERENCE", `--cache-to ${ref}: a cache is written under a tag, not a digest`, { hint: "name a tag, e.g. REGISTRY/NAME:buildcache" });
  const previous = opts.previous && sameRepo(opts.previous.repo, target) && opts.previous.ref === canonical ? opts.previous : await fetchBuildCache(canonical, opts.context);
  // previous is at target: opts.previous only when it is, else fetched from the same reference.
  const present = new Set<Digest>(previous ? previous.entries.map((e) => e.manifest.digest) : []);
  const result: CacheExportResult = { ref: canonical, digest: "" as Digest, entries: items.length, manifests: 0, uploaded: 0, uploadedBytes: 0, mounted: 0, unchanged: false };

  // The step manifests the target lacks, with their bytes.
  const manifests = new Map<Digest, { bytes: Uint8Array; mediaType: string; manifest: Manifest; item: CacheExportItem }>();
  for (const item of items) {
    const d = item.entry.manifest.digest;
    if (present.has(d) || manifests.has(d) || (item.remote && sameRepo(item.remote, target))) continue;
    if (item.local) {
      manifests.set(d, { bytes: item.local.manifestBytes, mediaType: item.local.manifestMediaType, manifest: item.local.manifest, item });
    } else if (item.remote) {
      const f = await getManifest(item.remote.transport, item.remote.repository, d);
      manifests.set(d, { bytes: f.bytes, mediaType: f.mediaType, manifest: f.parsed as Manifest, item });
    }
  }
  const jobs = new Map<Digest, BlobJob>();
  for (const m of manifests.values()) {
    for (const desc of [m.manifest.config, ...m.manifest.layers]) {
      if (!jobs.has(desc.digest)) jobs.set(desc.digest, { desc, local: m.item.local, remote: m.item.remote });
    }
  }
  await mapLimit([...jobs.values()], opts.concurrency ?? 4, (job) => putBlobInto(target, job, opts, result));
  // Manifests after all blobs: the registry refuses a manifest whose blobs it lacks.
  await mapLimit([...manifests.entries()], opts.concurrency ?? 4, async ([digest, m]) => {
    await putManifest(target.transport, target.repository, digest, m.bytes, m.mediaType);
    result.manifests++;
  });
  const bytes = serializeCacheIndex(items.map((i) => i.entry));
  if (previous && Buffer.from(previous.bytes).equals(Buffer.from(bytes))) {
    result.unchanged = true;
    result.digest = previous.digest;
    return result;
  }
  result.digest = await putManifest(target.transport, target.repository, tag, bytes, MEDIA_TYPE_OCI_INDEX);
  opts.logger?.debug(`build cache: ${canonical} → ${result.digest} (${items.length} entries)`);
  return result;
}

/** One blob into the target: already there, mounted from a sibling repository, or uploaded. */
async function putBlobInto(target: RepositoryHandle, job: BlobJob, opts: CacheExportOptions, result: CacheExportResult): Promise<void> {
  const { desc } = job;
  const t = target.transport;
  if (job.local) {
    const candidates = (job.local.blobLocations?.(desc.digest) ?? []).filter((l) => l.registry === target.registry && l.repository !== target.repository).map((l) => l.repository);
    const outcome = await uploadBlob(t, target.repository, desc, job.local.blob(desc.digest), { mountFrom: [...new Set(candidates)] });
    if (outcome.status === "pushed") (result.uploaded++, (result.uploadedBytes += desc.size));
    if (outcome.status === "mounted") result.mounted++;
    job.local.recordBlobLocation?.(desc.digest, { registry: target.registry, repository: target.repository });
    return;
  }
  const from = job.remote!;
  if (await hasRemoteBlob(t, target.repository, desc.digest)) return;
  if (from.registry === target.registry && (await mountBlob(t, target.repository, desc.digest, from.repository))) {
    result.mounted++;
    return;
  }
  if (!opts.localBlob) throw new RegistryError("E_REGISTRY", `blob ${desc.digest} is in ${from.registry}/${from.repository} only, and cannot be copied to ${target.registry}`);
  const data = await opts.localBlob(from, desc);
  const outcome = await uploadBlob(t, target.repository, desc, data);
  if (outcome.status === "pushed") (result.uploaded++, (result.uploadedBytes += desc.size));
}
