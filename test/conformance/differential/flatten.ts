// Flatten an image's layer tars into the filesystem a container would see:
// path → {type, mode, owner, size, content digest, link target, xattrs}.
// OCI layer rules (image-spec layer.md): `.wh.NAME` deletes NAME and
// everything below it, `.wh..wh..opq` empties its directory; both apply to
// the LOWER layers only, never to entries of their own layer. Hard links are
// recorded as the file they share an inode with, plus the group they belong
// to, so the comparison does not depend on which name a tar writer put first.
import { createReadStream, openSync, readSync, closeSync } from "node:fs";
import { Readable } from "node:stream";
import { createGunzip, createZstdDecompress } from "node:zlib";
import { extract, type Header } from "tar-stream";

export type EntryType = "file" | "dir" | "symlink" | "char" | "block" | "fifo";

export interface FsEntry {
  type: EntryType;
  /** Permission bits with setuid/setgid/sticky (mode & 0o7777). */
  mode: number;
  uid: number;
  gid: number;
  /** Files only. */
  size?: number;
  sha256?: string;
  /** Symlinks only. */
  linkTarget?: string;
  /** "major:minor" for devices. */
  device?: string;
  /** Smallest path of the hard-link group this file belongs to (absent when it has one name). */
  hardlink?: string;
  xattrs?: Record<string, string>;
}

export type FsMap = Map<string, FsEntry>;

interface Node extends FsEntry {
  ino: number;
}

interface LayerEntry {
  path: string;
  header: Header;
  sha256?: string;
  size: number;
}

const TYPES: Partial<Record<Header["type"], EntryType>> = {
  file: "file",
  "contiguous-file": "file",
  directory: "dir",
  symlink: "symlink",
  "character-device": "char",
  "block-device": "block",
  fifo: "fifo",
};

/** `./a/b/` → `/a/b`; the root is `/`. */
export function normalizePath(name: string): string {
  const parts = name.split("/").filter((p) => p !== "" && p !== ".");
  return `/${parts.join("/")}`;
}

const parentOf = (p: string) => p.slice(0, p.lastIndexOf("/")) || "/";

/** A layer as a byte stream, gzip or zstd undone by sniffing its magic number. */
export function openLayer(file: string): Readable {
  const fd = openSync(file, "r");
  const magic = Buffer.alloc(4);
  readSync(fd, magic, 0, 4, 0);
  closeSync(fd);
  const raw = createReadStream(file);
  if (magic[0] === 0x1f && magic[1] === 0x8b) return raw.pipe(createGunzip());
  if (magic.readUInt32LE(0) === 0xfd2fb528) return raw.pipe(createZstdDecompress());
  return raw;
}

/** Read every entry of one layer tar, hashing file contents as they stream by. */
export async function readLayer(stream: Readable): Promise<LayerEntry[]> {
  const ex = extract();
  stream.pipe(ex as unknown as NodeJS.WritableStream);
  const out: LayerEntry[] = [];
  for await (const entry of ex) {
    const hasher = new Bun.CryptoHasher("sha256");
    let size = 0;
    for await (const chunk of entry as AsyncIterable<Uint8Array>) {
      hasher.update(chunk);
      size += chunk.byteLength;
    }
    const h = entry.header;
    out.push({ path: normalizePath(h.name), header: h, size, sha256: TYPES[h.type] === "file" ? `sha256:${hasher.digest("hex")}` : undefined });
  }
  return out;
}

function xattrsOf(h: Header): Record<string, string> | undefined {
  const pax = (h.pax ?? {}) as Record<string, string>;
  const found = Object.entries(pax).filter(([k]) => k.startsWith("SCHILY.xattr."));
  return found.length ? Object.fromEntries(found.map(([k, v]) => [k.slice("SCHILY.xattr.".length), v])) : undefined;
}

function removeTree(fs: Map<string, Node>, path: string, keepSelf: boolean): void {
  if (!keepSelf) fs.delete(path);
  const prefix = path === "/" ? "/" : `${path}/`;
  for (const p of [...fs.keys()]) if (p.startsWith(prefix) && p !== "/") fs.delete(p);
}

function ensureParents(fs: Map<string, Node>, path: string, nextIno: () => number): void {
  // Missing parents are created the way extractors create them: 0755 root:root.
  for (let p = parentOf(path); p !== "/" && !fs.has(p); p = parentOf(p)) {
    fs.set(p, { type: "dir", mode: 0o755, uid: 0, gid: 0, ino: nextIno() });
  }
}

/** Apply layers (bottom first) and return the final filesystem (root itself excluded). */
export function applyLayers(layers: LayerEntry[][]): FsMap {
  const fs = new Map<string, Node>();
  let ino = 0;
  const nextIno = () => ++ino;
  for (const layer of layers) {
    // 1. Whiteouts first: they hide lower content only.
    for (const e of layer) {
      const base = e.path.slice(e.path.lastIndexOf("/") + 1);
      if (!base.startsWith(".wh.")) continue;
      const dir = parentOf(e.path);
      if (base === ".wh..wh..opq") removeTree(fs, dir, true);
      else if (!base.startsWith(".wh..wh.")) removeTree(fs, `${dir === "/" ? "" : dir}/${base.slice(4)}`, false);
    }
    // 2. Then the layer's own entries, in order.
    for (const e of layer) {
      const base = e.path.slice(e.path.lastIndexOf("/") + 1);
      if (base.startsWith(".wh.") || e.path === "/") continue;
      const h = e.header;
      let node: Node;
      if (h.type === "link") {
        const target = fs.get(normalizePath(h.linkname ?? ""));
        if (!target) throw new Error(`hard link ${e.path} → ${h.linkname}: target not found`);
        node = target;
      } else {
        const type = TYPES[h.type];
        if (!type) throw new Error(`${e.path}: unsupported tar entry type ${h.type}`);
        node = { type, mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, ino: nextIno() };
        if (type === "file") Object.assign(node, { size: e.size, sha256: e.sha256 });
        if (type === "symlink") node.linkTarget = h.linkname ?? "";
        if (type === "char" || type === "block") node.device = `${h.devmajor ?? 0}:${h.devminor ?? 0}`;
        const xattrs = xattrsOf(h);
        if (xattrs) node.xattrs = xattrs;
      }
      const old = fs.get(e.path);
      // A directory over a directory merges; anything else replaces the whole subtree.
      if (old && !(old.type === "dir" && node.type === "dir")) removeTree(fs, e.path, false);
      ensureParents(fs, e.path, nextIno);
      fs.set(e.path, node);
    }
  }
  return finish(fs);
}

/** Drop inode numbers; name each multi-member hard-link group by its smallest path. */
function finish(fs: Map<string, Node>): FsMap {
  const groups = new Map<number, string[]>();
  for (const [p, n] of fs) if (n.type === "file") groups.set(n.ino, [...(groups.get(n.ino) ?? []), p]);
  const out: FsMap = new Map();
  for (const p of [...fs.keys()].sort()) {
    const { ino, ...entry } = fs.get(p)!;
    const group = groups.get(ino);
    out.set(p, group && group.length > 1 ? { ...entry, hardlink: group.reduce((a, b) => (a < b ? a : b)) } : { ...entry });
  }
  return out;
}

/** Flatten layer tar files (bottom first). */
export async function flattenLayerFiles(files: string[]): Promise<FsMap> {
  const layers: LayerEntry[][] = [];
  for (const f of files) layers.push(await readLayer(openLayer(f)));
  return applyLayers(layers);
}
