// The filesystem side of COPY and ADD: writing sources into a container's
// merged root (run by the build's "copy" op inside the container's mount
// namespace, as the namespace's root, so ownership can be set). The rules are
// those of Docker's classic builder (builder/dockerfile/copy.go,
// performCopyForInfo): a directory source copies its contents; a file goes
// into an existing directory or a destination ending in "/"; new parents of a
// file are 0755 and owned like the copy, an existing destination directory
// keeps its owner and mode; every copied entry gets the --chown identity (root
// by default), its source mode (or --chmod; setuid/setgid dropped by the
// chown, as in Docker), and its mtime in whole seconds.
// The destination is resolved inside the root (resolveInRoot): no symlink in
// the image can lead a write outside it.
// Hard links: files of one directory source that are one inode in the source
// (same `inode`) are one inode in the copy, as Docker's tar of that directory
// makes them; separate sources never share inodes (Docker tars each alone).
import { chmodSync, copyFileSync, linkSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readlinkSync, rmSync, symlinkSync } from "node:fs";
import { LayerError } from "../errors.ts";
import { setOwner, watchSquashedOwners } from "./owner.ts";
import { linkUnchanged, type CopyReuse, type FileOutcome } from "./copy-reuse.ts";
import { applyModeSpec, type ModeSpec } from "./copy-mode.ts";
import { resolveInRoot } from "./scoped-path.ts";

export interface CopyIdentity {
  uid: number;
  gid: number;
}

/** One entry below a directory source: `rel` relative to the source dir, pre-order. */
export interface CopyTreeEntry {
  rel: string;
  kind: "file" | "dir" | "symlink";
  /** st_mode & 0o7777 of the source. */
  perm: number;
  /** Source mtime in whole seconds (Docker truncates). */
  mtime: number;
  link?: string;
  /** Source owner, kept when the request has no identity. */
  uid?: number;
  gid?: number;
  /** `dev:ino` of a regular file with more than one name in the source (hard links), else absent. */
  inode?: string;
}

export interface CopyItem {
  /** Where the source is, readable from the op (host context path, or inside a mounted image). */
  path: string;
  /** The name it gets inside a destination directory (the base name as written in the Dockerfile). */
  name: string;
  kind: "file" | "dir";
  perm: number;
  mtime: number;
  uid?: number;
  gid?: number;
  /** Directory sources: what to copy (already filtered by .dockerignore); listed from disk when absent. */
  entries?: CopyTreeEntry[];
}

export interface CopyRequest {
  /** Absolute path in the container; a trailing "/" means "into this directory". */
  dest: string;
  items: CopyItem[];
  /** Owner of everything copied (--chown, root by default); undefined keeps the sources' owners (COPY --from). */
  identity: CopyIdentity | undefined;
  chmod?: ModeSpec;
  /** Unchanged sources may be hard-linked from the snapshot of the same COPY's last run (copy-reuse.ts). */
  reuse?: CopyReuse;
}

/** List a directory on disk as CopyTreeEntry[] (pre-order, names sorted), for sources without a list. */
export function listTree(dir: string): CopyTreeEntry[] {
  const out: CopyTreeEntry[] = [];
  const visit = (rel: string) => {
    const names = readdirSync(rel === "" ? dir : `${dir}/${rel}`).sort();
    for (const name of names) {
      const r = rel === "" ? name : `${rel}/${name}`;
      const st = lstatSync(`${dir}/${r}`);
      const kind = st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : st.isFile() ? "file" : undefined;
      if (!kind) continue; // devices, fifos and sockets are not copied (as Docker's context tar leaves sockets out)
      out.push({ rel: r, kind, perm: st.mode & 0o7777, mtime: Math.floor(st.mtimeMs / 1000), uid: st.uid, gid: st.gid, link: kind === "symlink" ? readlinkSync(`${dir}/${r}`) : undefined, inode: inodeOf(st) });
      if (kind === "dir") visit(r);
    }
  };
  visit("");
  return out;
}

/** The `inode` of a CopyTreeEntry: `dev:ino` of a regular file with several names, else undefined. */
export function inodeOf(st: { isFile(): boolean; nlink: number | bigint; dev: number | bigint; ino: number | bigint }): string | undefined {
  return st.isFile() && st.nlink > 1 ? `${st.dev}:${st.ino}` : undefined;
}

/**
 * Go's filepath.Join(root, path) cleans `path` lexically before Docker follows
 * symlinks in it (FollowSymlinkInScope): "/link/.." is "/" whatever /link
 * points to. resolveInRoot applies ".." after symlinks, so clean first.
 */
export function lexicalClean(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `/${out.join("/")}`;
}

const IS_ROOT = process.getuid?.() === 0 && process.getgid?.() === 0;

export function isDir(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
}

/** lchown to `id` (root instead, where kiln's user namespace maps only one id: owner.ts). */
export function chown(path: string, id: CopyIdentity): void {
  setOwner(path, id.uid, id.gid, () => path);
}

/** MkdirAllAndChownNew: create the missing directories of `path` (0755), chowning only the new ones. */
export function mkdirAllNew(root: string, path: string, id: CopyIdentity): void {
  const missing: string[] = [];
  let p = path;
  while (p.length > root.length && !lstatSync(p, { throwIfNoEntry: false })) {
    missing.push(p);
    p = p.slice(0, p.lastIndexOf("/"));
  }
  const st = lstatSync(p, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) {
    throw new LayerError("E_LAYER", `cannot create ${path.slice(root.length) || "/"}: ${p.slice(root.length)} is not a directory in the image`, {
      hint: "change the destination, or remove the file in an earlier step",
    });
  }
  for (const dir of missing.reverse()) {
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    chown(dir, id);
  }
}

/**
 * WORKDIR's mkdir (Docker's SetupWorkingDirectory): create `path` inside the
 * root, symlinks resolved inside it, missing components 0755 root-owned; a
 * directory that exists is left alone, a non-directory there is an error.
 */
export function makeDirInRoot(root: string, path: string): void {
  const dir = resolveInRoot(root, lexicalClean(path));
  const st = lstatSync(dir, { throwIfNoEntry: false });
  if (st?.isDirectory()) return;
  if (st) throw new LayerError("E_LAYER", `Cannot mkdir: ${path} is not a directory`, { hint: "remove that file in an earlier step, or choose another WORKDIR" });
  mkdirAllNew(root, dir, { uid: 0, gid: 0 });
}

/** Remove whatever is at `path` unless it is a directory and `keepDir`. */
export function clear(path: string, keepDir: boolean): boolean {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return false;
  if (keepDir && st.isDirectory()) return true;
  rmSync(path, { recursive: true, force: true });
  return false;
}

/**
 * Mode, owner, mtime of a copied entry. With an identity, files are chmod'ed
 * before the chown, as Docker's classic builder does (untar, then
 * fixPermissions): the kernel's chown then drops setuid/setgid, so a COPY'd
 * setuid file arrives without them, exactly as in Docker 20.10 (checked
 * against dockerd). COPY --from without --chown keeps the source owners and
 * the bits (untar's chown-then-chmod order).
 */
function finish(path: string, e: Pick<CopyTreeEntry, "kind" | "perm" | "mtime" | "uid" | "gid">, req: CopyRequest, dirs: [string, number, number][], fresh = false): void {
  const owner = req.identity ?? { uid: e.uid ?? 0, gid: e.gid ?? 0 };
  // Made by this root process inside a directory this copy created: already 0:0, no chown needed.
  const owned = fresh && owner.uid === 0 && owner.gid === 0 && IS_ROOT;
  if (e.kind === "symlink") {
    if (!owned) chown(path, owner);
    return lutimesSync(path, e.mtime, e.mtime);
  }
  const mode = req.chmod ? applyModeSpec(req.chmod, e.perm, e.kind === "dir") : e.perm;
  if (e.kind === "dir") {
    if (!owned) chown(path, owner);
    return void dirs.push([path, mode, e.mtime]);
  }
  if (!req.identity) {
    chown(path, owner);
    chmodSync(path, mode);
  } else if (owned) {
    const after = modeAfterChown(mode);
    if (after !== e.perm) chmodSync(path, after); // copyFileSync kept e.perm already
  } else {
    chmodSync(path, mode);
    chown(path, owner);
  }
  lutimesSync(path, e.mtime, e.mtime);
}

/** What chmod + chown leave: the kernel's chown drops setuid, and setgid with group-exec. */
const modeAfterChown = (mode: number): number => mode & ~0o4000 & ~(mode & 0o010 ? 0o2000 : 0);

/** What finish() leaves on a regular file copied from `e`: copy-reuse.ts links only a file that has exactly this. */
function fileOutcome(e: Pick<CopyTreeEntry, "perm" | "mtime" | "uid" | "gid">, req: CopyRequest): FileOutcome {
  const owner = req.identity ?? { uid: e.uid ?? 0, gid: e.gid ?? 0 };
  const mode = req.chmod ? applyModeSpec(req.chmod, e.perm, false) : e.perm;
  // With an identity, finish() chowns after the copy: the kernel's rule applies.
  return { mode: req.identity ? modeAfterChown(mode) : mode, uid: owner.uid, gid: owner.gid, mtime: e.mtime };
}

/** Create `dst` from `src`; `fresh`: its directory was made by this copy, so nothing is in the way. */
function copyEntry(src: string, dst: string, e: { kind: CopyTreeEntry["kind"]; link?: string }, fresh = false): void {
  if (e.kind === "dir") {
    if (fresh || !clear(dst, true)) mkdirSync(dst, { mode: 0o700 });
  } else {
    if (!fresh) clear(dst, false);
    if (e.kind === "symlink") symlinkSync(e.link ?? readlinkSync(src), dst);
    else copyFileSync(src, dst);
  }
}

/** Docker's copyDirectory: the contents of `item` into `dest` (created 0755 if missing). */
function copyDirectory(root: string, item: CopyItem, dest: string, req: CopyRequest): void {
  const existed = isDir(dest);
  if (!existed) {
    mkdirAllNew(root, dest, { uid: 0, gid: 0 });
    chown(dest, req.identity ?? { uid: 0, gid: 0 });
  }
  const dirs: [string, number, number][] = [];
  // Directories this copy created (by path relative to dest): their children need no lstat or chown.
  const fresh = new Set<string>(existed ? [] : [""]);
  // Source inode → the first copy of it: the other names become hard links to that copy.
  const copied = new Map<string, string>();
  for (const e of item.entries ?? listTree(item.path)) {
    const dst = `${dest}/${e.rel}`;
    const slash = e.rel.lastIndexOf("/");
    const inFresh = fresh.has(slash === -1 ? "" : e.rel.slice(0, slash));
    if (e.kind === "dir" && (inFresh || !isDir(dst))) fresh.add(e.rel);
    const src = `${item.path}/${e.rel}`;
    const first = e.inode && copied.get(e.inode);
    if (first) {
      // Same inode, so same mode, owner and mtime: the first copy already has what finish() would give.
      if (!inFresh) clear(dst, false);
      linkSync(first, dst);
      continue;
    }
    if (e.inode) copied.set(e.inode, dst);
    if (e.kind === "file" && req.reuse && linkUnchanged(req.reuse, src, dst.slice(root.length), dst, fileOutcome(e, req))) continue;
    copyEntry(src, dst, e, inFresh);
    finish(dst, e, req, dirs, inFresh);
  }
  // Children first changed their parents' mtimes: set directory modes and times last, deepest first.
  for (const [path, mode, mtime] of dirs.reverse()) {
    chmodSync(path, mode);
    lutimesSync(path, mtime, mtime);
  }
}

/**
 * Apply a COPY/ADD (sources already resolved and downloaded) to the container
 * root `root`. `onWarning` hears once if owners had to become root (owner.ts).
 */
export function copyIntoRoot(root: string, req: CopyRequest, onWarning?: (message: string) => void): void {
  const reportSquashed = watchSquashedOwners(onWarning);
  const endsInSlash = req.dest.endsWith("/");
  const dest = resolveInRoot(root, lexicalClean(req.dest));
  for (const item of req.items) {
    if (item.kind === "dir") {
      copyDirectory(root, item, dest, req);
      continue;
    }
    const target = endsInSlash || isDir(dest) ? `${dest}/${item.name}` : dest;
    mkdirAllNew(root, target.slice(0, target.lastIndexOf("/")), req.identity ?? { uid: 0, gid: 0 });
    copyEntry(item.path, target, { kind: "file" });
    finish(target, { ...item, kind: "file" }, req, []);
  }
  reportSquashed();
}
