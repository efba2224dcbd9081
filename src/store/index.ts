// store/: kiln's local image store: an OCI image layout (skopeo and umoci read
// it directly; tags are index.json entries whose ref.name is the full canonical
// reference), snapshots keyed by chain id, a sqlite metadata db, flock locks.
// Contract (kiln-brief.md "store/") as written, plus (all additive):
// - Store.open({ root, lock: { timeoutMs, onWait }, onWarning }): onWarning gets the
//   layer codec's warnings while extracting snapshots, each text once per process
//   (store.warn(message) passes others' warnings the same way: the build's COPY);
// - commitImage input: `configBytes` (a foreign config's exact bytes: the id is
//   their digest), `parent` (classic-builder parent, for rmi and history) and a
//   per-layer `size` (uncompressed bytes, shown by images/history);
// - findImageConfig(nameOrId) → { id, config }: what FROM needs, answered for a tag
//   from the tag index in kiln.db (ref-index.ts) and the config blob alone;
// - addManifest(digest, { tags, parent }): register a manifest whose blobs were
//   written with putBlob (pull, load) as an image;
// - ImageRecord.parent; listImages(onProblem?) names unreadable images;
//   removeImage(name, { force, noPrune, users }) (users: the containers of each image,
//   which the CLI reads: they block deletion as in Docker); childrenOf(id);
//   prune(opts) (opts.keepImages: images containers were created from);
//   commitUpperAsSnapshot(upper, chainId, size?); lock(name, mode);
// - the parts, for the commands and the registry adapter: store.blobs (read,
//   readJson, size), store.images (resolve: which tag matched), store.db
//   (metadata; other modules may add their own tables), store.layout.
// Image sizes are the uncompressed layer tar sizes where known (import, load,
// extraction), the compressed blob sizes otherwise.
// `kiln prune` waits until no other kiln process has the store open (every
// open Store holds a shared gc lock), and keeps every snapshot that an overlay
// mount uses (running containers, in any mount namespace).
export { Store, tmpTopDirRecord } from "./store.ts";
export type { ImageRecord, CommitImageInput, ImageProblemReporter } from "./images.ts";
export { tagReference } from "./images.ts";
export type { PruneOptions, PruneReport } from "./gc.ts";
export type { ImageUser, ImageUsers } from "./remove.ts";
export type { BlobInput, BlobExpectation } from "./blobs.ts";
export { defaultStoreRoot, resolveStoreRoot } from "./root.ts";
export { FileLock, type LockMode } from "./lock.ts";
export { removeTree, treeSize } from "./tree.ts";
export { importRootfs, type ImportOptions } from "./import.ts";
export { saveArchive, selectForSave, type ArchiveFormat, type SaveItem } from "./archive-save.ts";
export { loadArchive, type LoadReporter } from "./archive-load.ts";
