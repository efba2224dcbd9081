// Whiteouts in their two worlds. overlayfs marks a deletion in an upper (or
// lower) dir as a char device 0:0, or — kernels ≥ 6.7, "xwhiteouts" — as an
// empty regular file carrying `<ns>.overlay.whiteout`; it marks a directory
// that hides everything below as opaque with `<ns>.overlay.opaque=y`. OCI
// layers spell the same things `.wh.NAME` and `.wh..wh..opq`. `<ns>` is
// `trusted` for real root and `user` in a user namespace (overlay's userxattr).
import { writeFileSync, type Stats } from "node:fs";
import { errnoCode } from "../errors.ts";
import { lstatOrUndefined } from "../util/lstat.ts";
import { getXattr, mknod, S_IFCHR, setXattr } from "./_sys.ts";

/** The xattr namespace overlayfs keeps its markers in: `trusted` as real root, `user` with userxattr. */
export type XattrNamespace = "trusted" | "user";

export const WHITEOUT_PREFIX = ".wh.";
/** Names with this prefix are reserved for whiteout metadata (AUFS hard-link dirs and the like). */
export const WHITEOUT_META_PREFIX = ".wh..wh.";
export const WHITEOUT_OPAQUE = ".wh..wh..opq";

/** How an overlay dir records a deletion. */
export type OverlayWhiteoutForm = "char-device" | "xattr-file";

/** The xattr name overlayfs uses for `key` in namespace `ns`. */
export function overlayXattr(ns: XattrNamespace, key: "opaque" | "whiteout" | "redirect" | "metacopy" | "origin"): string {
  return `${ns}.overlay.${key}`;
}

/** Overlay's own bookkeeping (either namespace): never a property of the image, never copied into a layer. */
export function isOverlayXattr(name: string): boolean {
  return name.startsWith("trusted.overlay.") || name.startsWith("user.overlay.");
}

/**
 * Which whiteout form `path` is, if any. `xattrs` are the names already listed
 * for the file (the diff lists them anyway); without them the file is asked.
 */
export function overlayWhiteoutForm(path: string, st: Stats, ns: XattrNamespace, xattrs?: string[]): OverlayWhiteoutForm | undefined {
  if (st.isCharacterDevice() && st.rdev === 0) return "char-device";
  if (!st.isFile() || st.size !== 0) return undefined;
  const name = overlayXattr(ns, "whiteout");
  const has = xattrs ? xattrs.includes(name) : getXattr(path, name) !== undefined;
  return has ? "xattr-file" : undefined;
}

/** True when the directory hides everything below it (`opaque=y`; `x` only announces xwhiteouts inside). */
export function isOpaqueDir(path: string, ns: XattrNamespace): boolean {
  const v = getXattr(path, overlayXattr(ns, "opaque"));
  return v !== undefined && v.length === 1 && v[0] === 0x79; // "y"
}

/** What an OCI layer entry's base name means for whiteouts. */
export type OciWhiteout =
  | { kind: "opaque" }
  | { kind: "whiteout"; name: string }
  | { kind: "reserved" };

/** Classify a base name: an opaque marker, a whiteout of `name`, a reserved `.wh..wh.` name, or an ordinary file. */
export function classifyOciName(base: string): OciWhiteout | undefined {
  if (!base.startsWith(WHITEOUT_PREFIX)) return undefined;
  if (base === WHITEOUT_OPAQUE) return { kind: "opaque" };
  if (base.startsWith(WHITEOUT_META_PREFIX)) return { kind: "reserved" };
  return { kind: "whiteout", name: base.slice(WHITEOUT_PREFIX.length) };
}

/**
 * Record a deletion at `path` (which must not exist) the way overlayfs reads
 * it from a lower dir. A char device 0:0 is the classic form, and Linux ≥ 5.8
 * lets anyone create that one, user namespaces included (checked on 6.x: no
 * CAP_MKNOD needed). Should mknod still be refused (a seccomp filter, an old
 * kernel), fall back to the xattr form: an empty file with `overlay.whiteout`
 * in a dir marked `overlay.opaque=x` (needs Linux ≥ 6.7 to be honoured).
 */
export function writeOverlayWhiteout(path: string, ns: XattrNamespace): OverlayWhiteoutForm {
  try {
    mknod(path, S_IFCHR, 0, 0);
    return "char-device";
  } catch (err) {
    if (errnoCode(err) !== "EPERM") throw err;
  }
  writeXattrWhiteout(path, ns);
  return "xattr-file";
}

/** The xattr form of a whiteout: an empty file marked `overlay.whiteout`, its dir marked `opaque=x` unless already opaque. */
export function writeXattrWhiteout(path: string, ns: XattrNamespace): void {
  writeFileSync(path, "", { mode: 0, flag: "wx" });
  setXattr(path, overlayXattr(ns, "whiteout"), new Uint8Array(0));
  const dir = path.slice(0, path.lastIndexOf("/"));
  if (!isOpaqueDir(dir, ns)) setXattr(dir, overlayXattr(ns, "opaque"), new TextEncoder().encode("x"));
}

/** Mark `dir` opaque: nothing from the layers below shows through it. */
export function markOpaque(dir: string, ns: XattrNamespace): void {
  setXattr(dir, overlayXattr(ns, "opaque"), new TextEncoder().encode("y"));
}

/**
 * What the lower dirs (top-most first) show at root-relative `rel`, walking
 * them as overlayfs would: a whiteout hides the path in every deeper layer, a
 * non-directory hides everything beneath its own path, and an opaque directory
 * hides the deeper layers' content under it. "dir", "other", or undefined when
 * nothing visible is there.
 */
export function lowerKindAt(rel: string, lowerDirs: string[], ns: XattrNamespace): "dir" | "other" | undefined {
  const parts = rel.split("/").filter((p) => p !== "");
  for (const lower of lowerDirs) {
    let here = lower;
    let opaqueAbove = false;
    for (let i = 0; i < parts.length; i++) {
      here = `${here}/${parts[i]}`;
      const st = lstatOrUndefined(here);
      if (!st) break;
      if (overlayWhiteoutForm(here, st, ns)) return undefined;
      if (i === parts.length - 1) return st.isDirectory() ? "dir" : "other";
      if (!st.isDirectory()) return undefined;
      if (isOpaqueDir(here, ns)) opaqueAbove = true;
    }
    if (opaqueAbove) return undefined;
  }
  return undefined;
}
