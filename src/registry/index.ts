// registry/: an OCI distribution-spec client (pull, push, login, remote
// inspect) for kiln. It imports image/ only; it writes into and reads from the
// local store through the ImageSink / ImageSource interfaces of types.ts,
// which cli/ (and later build/) adapt kiln's Store to
// (cli/commands/_registry-store.ts):
// - a pull writes every blob with putBlob (the sink verifies digest and
//   size), the index's bytes too when the tag named an index, then calls
//   commitPulled (the adapter: Store.addManifest with the tag);
// - "already here?" is ImageSink.pulled(ref, platform, remoteDigest), so an
//   image that is present costs one HEAD;
// - blob → (registry, repository) locations are recorded through the sink and
//   source (the adapter keeps them in registry-locations.db in the store root,
//   the Store having no table for them) and used for cross-repository mounts.
//
// Building blocks are exported too, for `build --push/--pull` and the
// registry-backed build cache: RegistryContext.repositories(ref) → transport +
// repository, then getManifest/headManifest/putManifest and
// downloadBlob/uploadBlob/hasRemoteBlob; pullImage/pushImage take a shared
// RegistryContext so that pings and tokens are reused across images.
//
// The registry-backed build cache (build-cache*.ts; README "Shared build
// cache"): an OCI index at the cache reference whose entries are the build's
// step image manifests, annotated with cache key, image id and parent id.
// fetchBuildCache reads it (undefined: no such reference), fetchCacheImage
// gets one step's manifest and config, pushBuildCache writes blobs, step
// manifests and the index (HEAD/mount before upload; nothing for what the
// index there already lists).
export type * from "./types.ts";
export { pullImage, type PullResult } from "./pull.ts";
export { pushImage, type PushOptions } from "./push.ts";
export { inspectRemote, type RemoteImage } from "./inspect.ts";
export { login, logout, normalizeRegistryHost, verifyCredentials } from "./login.ts";
export { RegistryContext, mapLimit, type RepositoryHandle } from "./context.ts";
export { RegistryTransport, isConnectionError } from "./transport.ts";
export { getManifest, headManifest, putManifest, manifestMediaTypeOf, MANIFEST_ACCEPT, type FetchedManifest } from "./manifests.ts";
export { downloadBlob } from "./blob-download.ts";
export { uploadBlob, hasRemoteBlob, mountBlob, type UploadOutcome } from "./blob-upload.ts";
export { BUILD_CACHE_ARTIFACT_TYPE, parseCacheIndex, serializeCacheIndex, type CacheEntry } from "./build-cache-format.ts";
export { cacheRepository, fetchBuildCache, fetchCacheImage, type CacheImage, type RemoteBuildCache } from "./build-cache.ts";
export { pushBuildCache, type CacheExportItem, type CacheExportOptions, type CacheExportResult } from "./build-cache-push.ts";
export { authFilePath, findCredentials, storeCredentials, eraseCredentials, type Credentials } from "./credentials.ts";
export { registriesConfigPath, loadRegistriesConfig, resolveEndpoints, type RegistryEntry } from "./registries-config.ts";
export { redact } from "./redact.ts";
