// registry/: an OCI distribution-spec client (pull, push, login, remote
// inspect) for kiln. It imports image/ only; it writes into and reads from the
// local store through the ImageSink / ImageSource interfaces of types.ts,
// which cli/ (and later build/) adapt kiln's Store to.
//
// Building blocks are exported too, for the registry-backed build cache:
// RegistryContext.repositories(ref) → transport + repository, then
// getManifest/headManifest/putManifest and downloadBlob/uploadBlob.
export type * from "./types.ts";
export { pullImage, type PullResult } from "./pull.ts";
export { pushImage, type PushOptions } from "./push.ts";
export { inspectRemote, type RemoteImage } from "./inspect.ts";
export { login, logout, normalizeRegistryHost, verifyCredentials } from "./login.ts";
export { RegistryContext, type RepositoryHandle } from "./context.ts";
export { RegistryTransport, isConnectionError } from "./transport.ts";
export { getManifest, headManifest, putManifest, manifestMediaTypeOf, MANIFEST_ACCEPT, type FetchedManifest } from "./manifests.ts";
export { downloadBlob } from "./blob-download.ts";
export { uploadBlob, hasRemoteBlob, type UploadOutcome } from "./blob-upload.ts";
export { authFilePath, findCredentials, storeCredentials, eraseCredentials, type Credentials } from "./credentials.ts";
export { registriesConfigPath, loadRegistriesConfig, resolveEndpoints, type RegistryEntry } from "./registries-config.ts";
export { redact } from "./redact.ts";
