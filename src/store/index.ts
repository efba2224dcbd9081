// store/: kiln's local image store (an OCI image layout plus snapshots and a
// metadata db). Contract (kiln-brief.md "store/") with these additions:
// - commitImage input: optional `configBytes` (keep a foreign config's exact
//   bytes: the id is their digest), `parent` (classic-builder parent, used by
//   rmi and history) and per-layer `size` (uncompressed content size);
// - addManifest(digest, {tags, parent}): register a manifest whose blobs were
//   written with putBlob (pull, load) as an image;
// - ImageRecord.parent; Store.prune(); Store.childrenOf(); readBlob via store.blobs.read;
// - commitUpperAsSnapshot(upper, chainId, size?).
export { Store } from "./store.ts";
export type { ImageRecord, CommitImageInput, ImageProblemReporter } from "./images.ts";
export { tagReference } from "./images.ts";
export type { PruneOptions, PruneReport } from "./gc.ts";
export type { BlobInput, BlobExpectation } from "./blobs.ts";
export { defaultStoreRoot, resolveStoreRoot } from "./root.ts";
export { FileLock, type LockMode } from "./lock.ts";
export { removeTree, treeSize } from "./tree.ts";
export { importRootfs, type ImportOptions } from "./import.ts";
export { saveArchive, selectForSave, type ArchiveFormat, type SaveItem } from "./archive-save.ts";
export { loadArchive, type LoadReporter } from "./archive-load.ts";
