// layer/: the codec between overlay dirs and OCI layer tars, both ways, with
// compression and digests in one streaming pass. Imports only errors.ts and util/.
//
// Contract notes (differences from the brief, all additive):
// - `Digest` and `LayerCompression` are the same string types as image/'s, declared
//   here (layer/ may not import image/): Sha256Digest from util/digest.ts.
// - applyLayer takes an optional `onWarning` callback (device nodes that cannot be
//   created in a user namespace, xattrs the filesystem refuses).
// - Owners (applyLayer, copyIntoRoot, extractArchive): in a user namespace that maps
//   only one id (rootless without sub-ids) every file is given to root instead, and
//   their `onWarning` hears SQUASHED_OWNERS_WARNING once per call (owner.ts).
// - tar-stream is not used: tar-format.ts / tar-reader.ts read and write tar
//   themselves, because tar-stream's PAX decoding is not binary-safe (xattrs).
export { diffUpperDir, type DiffOptions } from "./diff.ts";
export { encodeLayer, type EncodedLayer, type LayerCompression } from "./encode.ts";
export { decompressStream, detectCompression, type DetectedCompression } from "./decompress.ts";
export { applyLayer, type ApplyOptions } from "./apply.ts";
export { SQUASHED_OWNERS_WARNING } from "./owner.ts";
export { resolveInRoot, normaliseEntryName } from "./scoped-path.ts";
export {
  WHITEOUT_OPAQUE,
  WHITEOUT_PREFIX,
  WHITEOUT_META_PREFIX,
  isOverlayXattr,
  type XattrNamespace,
} from "./whiteout.ts";
// copy.ts (COPY/ADD into a container root) belongs to the build helper.
export { copyIntoRoot, inodeOf, lexicalClean, listTree, makeDirInRoot, type CopyIdentity, type CopyItem, type CopyRequest, type CopyTreeEntry } from "./copy.ts";
export { applyModeSpec, type ModeSpec } from "./copy-mode.ts";
export type { CopyReuse } from "./copy-reuse.ts";
export { extractArchive, isArchiveFile } from "./copy-archive.ts";
export { applyVolumeRules, missingInLowers } from "./copy-volumes.ts";
// the build picks its own gzip level for build layers (speed over ratio)
export { gzipParallel } from "./gzip-parallel.ts";
export { setTopDirFlag } from "./_sys.ts";
