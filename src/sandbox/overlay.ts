// PURE: how an overlay root is mounted. The options are fixed so that the
// upper dir is always a complete diff (DESIGN.md "Overlay upper dir → layer"):
// - redirect_dir=off: a renamed directory is copied up whole, never recorded
//   as an `overlay.redirect` xattr pointing into a lower layer (in a user
//   namespace the kernel demands `nofollow`, which also never creates one:
//   "off" there means "off, but follow existing ones", refused with userxattr);
// - metacopy=off: a chmod/chown copies the file's data up too, so the upper
//   file is a complete layer entry;
// - index=off: no inode index (it ties the upper dir to these exact lower dirs
//   and would refuse a later mount over different snapshot paths);
// - userxattr in a user namespace: trusted.* xattrs are root-only, so overlay
//   keeps its opaque markers in user.overlay.* there (util/userns.ts).
import type { FsParams } from "./sys.ts";
import type { OverlaySpec } from "./spec.ts";

/** Options every kiln overlay carries, in this order (redirect_dir=nofollow instead with userxattr). */
export const OVERLAY_FIXED_OPTIONS = ["redirect_dir=off", "metacopy=off", "index=off"] as const;

function fixedOptions(userxattr: boolean): string[] {
  return userxattr ? ["redirect_dir=nofollow", "metacopy=off", "index=off", "userxattr"] : [...OVERLAY_FIXED_OPTIONS];
}

/**
 * mount(2) copies at most one page of option data: a longer string is cut and
 * the mount fails. Past this size kiln uses fsconfig(`lowerdir+`), one
 * layer per call (Linux ≥ 6.8), which has no total limit.
 */
export const MOUNT_DATA_MAX = 4095;

/** Escape a path for overlay's option parser: `,` separates options, `:` lower dirs, `\` escapes. */
export function escapeOverlayPath(path: string): string {
  return path.replace(/[\\,:]/g, (c) => `\\${c}`);
}

/** The option string for mount(2): `lowerdir=A:B,upperdir=…,workdir=…,redirect_dir=off,…`. */
export function overlayOptions(o: OverlaySpec): string {
  const opts = [`lowerdir=${o.lowerDirs.map(escapeOverlayPath).join(":")}`];
  if (o.upperDir !== undefined) opts.push(`upperdir=${escapeOverlayPath(o.upperDir)}`);
  if (o.workDir !== undefined) opts.push(`workdir=${escapeOverlayPath(o.workDir)}`);
  opts.push(...fixedOptions(o.userxattr));
  return opts.join(",");
}

/** The same mount as fsconfig parameters: raw paths (no escaping), one `lowerdir+` per layer. */
export function overlayFsParams(o: OverlaySpec): FsParams {
  const params: FsParams["params"] = [["source", "overlay"]];
  for (const dir of o.lowerDirs) params.push(["lowerdir+", dir]);
  if (o.upperDir !== undefined) params.push(["upperdir", o.upperDir]);
  if (o.workDir !== undefined) params.push(["workdir", o.workDir]);
  for (const opt of fixedOptions(o.userxattr)) {
    const [key, value] = opt.split("=") as [string, string | undefined];
    params.push([key, value ?? null]);
  }
  return { fstype: "overlay", params };
}

/** How to mount `o`: one mount(2) call when the options fit in a page, fsconfig otherwise. */
export function planOverlayMount(o: OverlaySpec): { api: "mount"; data: string } | { api: "fsconfig"; fs: FsParams } {
  if (o.lowerDirs.length === 0) throw new Error("overlay needs at least one lower dir");
  if (o.upperDir === undefined && o.lowerDirs.length < 2) {
    throw new Error("a read-only overlay needs at least two lower dirs (add an empty one)");
  }
  const data = overlayOptions(o);
  return Buffer.byteLength(data) <= MOUNT_DATA_MAX ? { api: "mount", data } : { api: "fsconfig", fs: overlayFsParams(o) };
}
