// OCI layer tar → snapshot dir usable as an overlay lower dir. Every tar is
// hostile (STYLE.md P6): entries are applied one at a time, each parent path
// resolved inside the target root (scoped-path.ts) and the last component
// never followed; tar-fs's extractor is not used. OCI whiteouts become overlay
// whiteouts, `.wh..wh..opq` an opaque xattr. Directory modes and times are set
// last, children first (as umoci does), so a read-only or freshly-timestamped
// directory does not get in the way of, or get touched by, its own children.
import { chmodSync, linkSync, lstatSync, lutimesSync, mkdirSync, rmSync, symlinkSync, type Stats } from "node:fs";
import { resolve } from "node:path";
import { errnoCode, LayerError } from "../errors.ts";
import type { Sha256Digest } from "../util/digest.ts";
import { mknod, S_IFBLK, S_IFCHR, S_IFIFO, setXattr } from "./_sys.ts";
import { setOwner, watchSquashedOwners } from "./owner.ts";
import { normaliseEntryName, resolveInRoot } from "./scoped-path.ts";
import { TarReader, type TarEntry } from "./tar-reader.ts";
import { classifyOciName, isOverlayXattr, markOpaque, WHITEOUT_META_PREFIX, WHITEOUT_OPAQUE, writeOverlayWhiteout, type XattrNamespace } from "./whiteout.ts";

export interface ApplyOptions {
  xattrNamespace: XattrNamespace;
  /**
   * chown entries to the tar's uid/gid (default true); false leaves them owned
   * by the caller. In a user namespace that maps only one id, owners become
   * root instead (owner.ts) and onWarning hears SQUASHED_OWNERS_WARNING once.
   */
  preserveOwnership?: boolean;
  /** Told about what could not be reproduced here (device nodes in a user namespace, refused xattrs). */
  onWarning?: (message: string) => void;
}

interface Ctx {
  root: string;
  opts: ApplyOptions;
  /** Directories whose mode and mtime are set at the end, children first (insertion order reversed). */
  dirs: Map<string, { mode: number; mtime: number }>;
  /**
   * Parent paths already resolved to a real directory. Entries only ever add
   * paths that did not exist, so a resolution can change only when something
   * is removed: remove() clears the cache.
   */
  parents: Map<string, string>;
}

/**
 * Extract an uncompressed OCI layer tar into `targetDir` (created if missing;
 * normally empty: one snapshot per layer). Returns the diffID — the sha256 of
 * the tar bytes exactly as read, trailing padding included — and their count.
 */
export async function applyLayer(tar: ReadableStream<Uint8Array>, targetDir: string, opts: ApplyOptions): Promise<{ diffId: Sha256Digest; size: number }> {
  const ctx: Ctx = { root: resolve(targetDir), opts, dirs: new Map(), parents: new Map() };
  mkdirSync(ctx.root, { recursive: true });
  const reportSquashed = watchSquashedOwners(opts.onWarning);
  const reader = new TarReader(tar);
  try {
    for (let e = await reader.next(); e; e = await reader.next()) await applyEntry(ctx, reader, e);
    await reader.finish();
  } catch (err) {
    await reader.cancel(err);
    throw err;
  }
  for (const [path, d] of [...ctx.dirs].reverse()) {
    chmodSync(path, d.mode);
    lutimesSync(path, d.mtime, d.mtime);
  }
  reportSquashed();
  return { diffId: reader.digest, size: reader.size };
}

async function applyEntry(ctx: Ctx, reader: TarReader, e: TarEntry): Promise<void> {
  const rel = normaliseEntryName(e.name);
  if (rel === "") {
    if (e.type !== "dir") throw new LayerError("E_LAYER_UNSAFE_PATH", `refusing tar entry "${e.name}": a ${e.type} cannot replace the layer root`);
    return finishMetadata(ctx, ctx.root, e);
  }
  // AUFS-era metadata (.wh..wh.plnk/…, .wh..wh.aufs) at any depth: never content.
  if (rel.split("/").some((p) => p.startsWith(WHITEOUT_META_PREFIX) && p !== WHITEOUT_OPAQUE)) return;
  const slash = rel.lastIndexOf("/");
  const base = rel.slice(slash + 1);
  const parent = parentDir(ctx, slash === -1 ? "" : rel.slice(0, slash), e);
  const wh = classifyOciName(base);
  if (wh?.kind === "opaque") return markOpaque(parent, ctx.opts.xattrNamespace);
  if (wh?.kind === "whiteout") {
    if (wh.name === "" || wh.name === "." || wh.name === "..") {
      throw new LayerError("E_LAYER_UNSAFE_PATH", `refusing tar entry "${e.name}": a whiteout must name a file in its directory`);
    }
    const victim = `${parent}/${wh.name}`;
    remove(ctx, victim);
    writeOverlayWhiteout(victim, ctx.opts.xattrNamespace);
    lutimesSync(victim, e.mtime, e.mtime);
    return;
  }
  const path = `${parent}/${base}`;
  const existing = lstatSync(path, { throwIfNoEntry: false });
  if (existing && !(existing.isDirectory() && e.type === "dir")) remove(ctx, path, existing);
  switch (e.type) {
    case "dir":
      if (!existing?.isDirectory()) mkdirSync(path, { mode: 0o700 });
      break;
    case "file":
      await reader.writeBodyToNewFile(path);
      break;
    case "symlink":
      symlinkSync(e.linkname ?? "", path);
      break;
    case "link":
      return linkSync(linkSource(ctx, e), path); // shares the target's inode and metadata
    case "fifo":
      mknod(path, S_IFIFO | 0o600);
      break;
    case "char":
    case "block":
      try {
        mknod(path, (e.type === "char" ? S_IFCHR : S_IFBLK) | 0o600, e.devmajor, e.devminor);
      } catch (err) {
        if (errnoCode(err) !== "EPERM") throw err;
        ctx.opts.onWarning?.(`skipped device node /${rel}: creating devices is not permitted here (user namespace)`);
        return;
      }
      break;
  }
  finishMetadata(ctx, path, e);
}

/** Remove whatever is at `path` (never following a symlink) and forget its pending directory metadata. */
function remove(ctx: Ctx, path: string, known?: Stats): void {
  const st = known ?? lstatSync(path, { throwIfNoEntry: false });
  if (!st) return; // the usual case in a fresh snapshot: nothing to scan
  rmSync(path, { recursive: true, force: true });
  ctx.parents.clear();
  if (st.isDirectory()) for (const p of ctx.dirs.keys()) if (p === path || p.startsWith(`${path}/`)) ctx.dirs.delete(p);
}

/** The directory an entry goes into, resolved inside the root and created (0755) if missing. */
function parentDir(ctx: Ctx, relParent: string, e: TarEntry): string {
  const cached = ctx.parents.get(relParent);
  if (cached) return cached;
  const dir = resolveInRoot(ctx.root, relParent);
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new LayerError("E_LAYER", `cannot apply "${e.name}": /${relParent} is not a directory in the layer`);
  // resolveInRoot left only missing components at the end of `dir`, so creating them follows no symlink.
  if (!st) mkdirSync(dir, { recursive: true, mode: 0o755 });
  ctx.parents.set(relParent, dir);
  return dir;
}

/** Where a hard link points: inside the root, its last component not followed; must exist and not be a dir. */
function linkSource(ctx: Ctx, e: TarEntry): string {
  const rel = normaliseEntryName(e.linkname ?? "");
  const slash = rel.lastIndexOf("/");
  const src = rel === "" ? ctx.root : `${resolveInRoot(ctx.root, rel.slice(0, Math.max(slash, 0)))}/${rel.slice(slash + 1)}`;
  const st = lstatSync(src, { throwIfNoEntry: false });
  if (!st || st.isDirectory()) {
    throw new LayerError("E_LAYER", `cannot apply hard link "${e.name}": its target "${e.linkname}" is ${st ? "a directory" : "not in the layer"}`);
  }
  return src;
}

/**
 * Owner, then mode (chown clears setuid/setgid), then xattrs, then mtime.
 * Directories keep a writable mode and their own mtime until the very end.
 */
function finishMetadata(ctx: Ctx, path: string, e: TarEntry): void {
  if (ctx.opts.preserveOwnership !== false) setOwner(path, e.uid, e.gid, () => `/${normaliseEntryName(e.name)}`);
  const isLink = e.type === "symlink";
  if (!isLink && e.type !== "dir") chmodSync(path, e.mode & 0o7777);
  for (const [name, value] of e.xattrs ?? []) {
    if (isOverlayXattr(name)) continue; // a tar must never forge overlay's own markers
    try {
      setXattr(path, name, value);
    } catch (err) {
      const code = errnoCode(err);
      if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP") throw err;
      ctx.opts.onWarning?.(`could not set xattr ${name} on /${normaliseEntryName(e.name)} (${code})`);
    }
  }
  if (e.type === "dir") ctx.dirs.set(path, { mode: e.mode & 0o7777, mtime: e.mtime });
  else lutimesSync(path, e.mtime, e.mtime);
}

