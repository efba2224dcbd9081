/**
 * The registry-backed build cache's format (`kiln build --cache-to/--cache-from`,
 * README "Shared build cache"). The cache at a reference is one OCI image
 * index whose entries are ordinary image manifests of build steps, each
 * annotated with the cache key that produced it:
 *
 *   { "schemaVersion": 2,
 *     "mediaType": "application/vnd.oci.image.index.v1+json",
 *     "artifactType": "application/vnd.kiln.build-cache.v1+json",
 *     "manifests": [
 *       { "mediaType": "application/vnd.oci.image.manifest.v1+json",
 *         "digest": "sha256:<step image manifest>", "size": 1234,
 *         "annotations": { "dev.kiln.cache.key": "sha256:<cache key>",
 *                          "dev.kiln.cache.image": "sha256:<image id = config digest>",
 *                          "dev.kiln.cache.parent": "sha256:<parent image id>" } } ],
 *     "annotations": { "dev.kiln.cache.version": "1" } }
 *
 * Why an index of real manifests: the registry checks at upload that every
 * manifest, config and layer the index refers to is there, and its garbage
 * collector keeps them while the index is tagged. The image id in the
 * annotation lets a build follow a whole chain of cache hits from this one
 * document, without fetching any step's manifest or config.
 */
import { RegistryError } from "../errors.ts";
import { isDigest, MEDIA_TYPE_OCI_INDEX, type Descriptor, type Digest } from "../image/index.ts";

export const BUILD_CACHE_ARTIFACT_TYPE = "application/vnd.kiln.build-cache.v1+json";
const ANNOTATION_CACHE_KEY = "dev.kiln.cache.key";
const ANNOTATION_CACHE_IMAGE = "dev.kiln.cache.image";
const ANNOTATION_CACHE_PARENT = "dev.kiln.cache.parent";
const ANNOTATION_CACHE_VERSION = "dev.kiln.cache.version";
const VERSION = "1";

/** One cached step: its cache key, the image it produced and that image's manifest. */
export interface CacheEntry {
  key: string;
  /** Image id (the config's digest). */
  image: Digest;
  /** The image the step was built on (for `kiln history`/`rmi` once the image is local). */
  parent?: Digest;
  /** The step image's manifest (mediaType, digest, size). */
  manifest: Descriptor;
}

/** The index document for `entries`, sorted by key so that an unchanged cache serialises to the same bytes. */
export function serializeCacheIndex(entries: CacheEntry[]): Uint8Array {
  const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : a.image.localeCompare(b.image)));
  const manifests = sorted.map((e) => ({
    mediaType: e.manifest.mediaType,
    digest: e.manifest.digest,
    size: e.manifest.size,
    annotations: {
      [ANNOTATION_CACHE_KEY]: e.key,
      [ANNOTATION_CACHE_IMAGE]: e.image,
      ...(e.parent ? { [ANNOTATION_CACHE_PARENT]: e.parent } : {}),
    },
  }));
  const index = {
    schemaVersion: 2,
    mediaType: MEDIA_TYPE_OCI_INDEX,
    artifactType: BUILD_CACHE_ARTIFACT_TYPE,
    manifests,
    annotations: { [ANNOTATION_CACHE_VERSION]: VERSION },
  };
  return new TextEncoder().encode(JSON.stringify(index));
}

/** Is this document a kiln build cache (as opposed to an image or someone else's index)? */
function isCacheIndex(doc: unknown): boolean {
  const d = doc as { artifactType?: unknown; annotations?: Record<string, unknown>; manifests?: unknown };
  return Array.isArray(d?.manifests) && (d.artifactType === BUILD_CACHE_ARTIFACT_TYPE || d.annotations?.[ANNOTATION_CACHE_VERSION] !== undefined);
}

/**
 * The entries of a cache index. A document of another kind, or of a newer
 * version, is an error (the caller warns and builds without it); entries
 * lacking a valid key or image id are skipped.
 */
export function parseCacheIndex(doc: unknown, where: string): CacheEntry[] {
  if (!isCacheIndex(doc)) {
    throw new RegistryError("E_REGISTRY", `${where} is not a kiln build cache`, {
      hint: "point --cache-from at a reference written by kiln build --cache-to (an image is not a cache)",
    });
  }
  const d = doc as { manifests: Descriptor[]; annotations?: Record<string, string> };
  const version = d.annotations?.[ANNOTATION_CACHE_VERSION] ?? VERSION;
  if (version !== VERSION) {
    throw new RegistryError("E_REGISTRY", `${where} is a kiln build cache of version ${version}; this kiln reads version ${VERSION}`, {
      hint: "build with the kiln version that wrote it, or write the cache again with --cache-to",
    });
  }
  const out: CacheEntry[] = [];
  for (const m of d.manifests) {
    const a = m?.annotations ?? {};
    const key = a[ANNOTATION_CACHE_KEY];
    const image = a[ANNOTATION_CACHE_IMAGE];
    const parent = a[ANNOTATION_CACHE_PARENT];
    if (!key || !isDigest(key) || !image || !isDigest(image) || !isDigest(m.digest) || typeof m.size !== "number") continue;
    out.push({ key, image, ...(parent && isDigest(parent) ? { parent } : {}), manifest: { mediaType: m.mediaType, digest: m.digest, size: m.size } });
  }
  return out;
}
