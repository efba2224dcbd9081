/**
 * Reading the registry-backed build cache (format: build-cache-format.ts):
 * the cache index at a reference, once per build, and on demand the
 * manifest and config of one cached step image. Layers are not fetched here:
 * the builder downloads a step's layers only when a container must run on
 * top of it, or when it is the final image (downloadBlob).
 */
import { RegistryError } from "../errors.ts";
import { type Digest, type ImageConfig, type Manifest, type Reference } from "../image/index.ts";
import { sha256 } from "../util/digest.ts";
import { downloadBlob } from "./blob-download.ts";
import { parseCacheIndex, type CacheEntry } from "./build-cache-format.ts";
import { referenceOf, type RegistryContext, type RepositoryHandle } from "./context.ts";
import { getManifest } from "./manifests.ts";
import { isNotFound } from "./response-error.ts";

/** A cache index as fetched from a registry. */
export interface RemoteBuildCache {
  /** The canonical reference it was read from. */
  ref: string;
  repo: RepositoryHandle;
  /** Digest and bytes of the index (an export compares with them to skip an unchanged upload). */
  digest: Digest;
  bytes: Uint8Array;
  entries: CacheEntry[];
}

/** A cached step image's manifest and config (what the builder needs to build on it). */
export interface CacheImage {
  manifest: Manifest;
  manifestBytes: Uint8Array;
  mediaType: string;
  config: ImageConfig;
  configBytes: Uint8Array;
}

const MAX_CONFIG_BYTES = 32 << 20;

/**
 * The repository a cache reference lives in. Caches are read and written at
 * the reference's own location (registries.json rewrites apply, mirrors do
 * not: a mirror would serve a stale index).
 */
export function cacheRepository(ref: string | Reference, context: RegistryContext): { canonical: string; repo: RepositoryHandle; tag: string } {
  const { ref: parsed, canonical } = referenceOf(ref);
  return { canonical, repo: context.repositories(parsed, "push")[0]!, tag: parsed.digest ?? parsed.tag ?? "latest" };
}

/**
 * Fetch the cache index at `ref`; undefined when the registry has no such
 * reference (a first build: Docker and BuildKit go on without a cache too).
 * Unreachable registries, refused credentials and documents that are not a
 * kiln cache throw: the caller decides what is a warning.
 */
export async function fetchBuildCache(ref: string | Reference, context: RegistryContext): Promise<RemoteBuildCache | undefined> {
  const { canonical, repo, tag } = cacheRepository(ref, context);
  let fetched;
  try {
    fetched = await getManifest(repo.transport, repo.repository, tag);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const entries = parseCacheIndex(fetched.parsed, canonical);
  return { ref: canonical, repo, digest: fetched.digest, bytes: fetched.bytes, entries };
}

/** The manifest and config of one cached step image (two small requests; no layers). */
export async function fetchCacheImage(repo: RepositoryHandle, entry: CacheEntry): Promise<CacheImage> {
  const fetched = await getManifest(repo.transport, repo.repository, entry.manifest.digest);
  const manifest = fetched.parsed as Manifest;
  const where = `${repo.registry}/${repo.repository}@${entry.manifest.digest}`;
  if (!manifest.config || !Array.isArray(manifest.layers)) {
    throw new RegistryError("E_REGISTRY", `${where}: a build cache entry is not an image manifest`, { hint: "write the cache again with --cache-to" });
  }
  if (manifest.config.digest !== entry.image) {
    throw new RegistryError("E_REGISTRY", `${where}: the manifest's config is ${manifest.config.digest}, the cache says ${entry.image}`, {
      hint: "the cache index is inconsistent; write it again with --cache-to",
    });
  }
  if (manifest.config.size > MAX_CONFIG_BYTES) throw new RegistryError("E_REGISTRY", `${where}: image config of ${manifest.config.size} bytes is too big`);
  const configBytes = new Uint8Array(await new Response(downloadBlob(repo.transport, repo.repository, manifest.config)).arrayBuffer());
  if (sha256(configBytes) !== entry.image) {
    throw new RegistryError("E_BLOB_DIGEST_MISMATCH", `${where}: the image config does not match its digest ${entry.image}`, {
      hint: "the registry serves corrupt content; nothing was stored",
    });
  }
  const config = JSON.parse(new TextDecoder().decode(configBytes)) as ImageConfig;
  return { manifest, manifestBytes: fetched.bytes, mediaType: fetched.mediaType, config, configBytes };
}
