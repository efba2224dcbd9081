// Test-only helpers for the layer codec: build a directory tree with every
// entry type (device nodes, whiteouts, xattrs, hard links) from a table, and
// flatten a tree back into comparable records.
import { chmodSync, linkSync, lchownSync, lstatSync, lutimesSync, mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { getXattr, listXattrs, mknod, S_IFBLK, S_IFCHR, S_IFIFO, setXattr, splitDev } from "../../../src/layer/_sys.ts";

export type Node =
  | { path: string; kind: "file"; content?: string; mode?: number; uid?: number; gid?: number; xattrs?: Record<string, string | Uint8Array> }
  | { path: string; kind: "dir"; mode?: number; uid?: number; gid?: number; xattrs?: Record<string, string | Uint8Array> }
  | { path: string; kind: "symlink"; target: string; uid?: number; gid?: number }
  | { path: string; kind: "link"; target: string }
  | { path: string; kind: "fifo" | "char" | "block"; major?: number; minor?: number; mode?: number; uid?: number; gid?: number }
  | { path: string; kind: "whiteout" }
  | { path: string; kind: "xwhiteout"; ns: "trusted" | "user" };

const bytes = (v: string | Uint8Array) => (typeof v === "string" ? new TextEncoder().encode(v) : v);

/** Create `nodes` under `root` in order (parents are made as needed); every mtime is set to `mtime`. */
export function buildTree(root: string, nodes: Node[], mtime = 1_600_000_000): void {
  mkdirSync(root, { recursive: true });
  for (const n of nodes) {
    const p = join(root, n.path);
    mkdirSync(dirname(p), { recursive: true });
    switch (n.kind) {
      case "file":
        writeFileSync(p, n.content ?? "");
        break;
      case "dir":
        mkdirSync(p, { recursive: true });
        break;
      case "symlink":
        symlinkSync(n.target, p);
        break;
      case "link":
        linkSync(join(root, n.target), p);
        break;
      case "fifo":
        mknod(p, S_IFIFO | 0o644);
        break;
      case "char":
      case "block":
        mknod(p, (n.kind === "char" ? S_IFCHR : S_IFBLK) | 0o644, n.major ?? 0, n.minor ?? 0);
        break;
      case "whiteout":
        mknod(p, S_IFCHR, 0, 0);
        break;
      case "xwhiteout":
        writeFileSync(p, "");
        setXattr(p, `${n.ns}.overlay.whiteout`, new Uint8Array(0));
        break;
    }
    if ("uid" in n && (n.uid !== undefined || n.gid !== undefined)) lchownSync(p, n.uid ?? 0, n.gid ?? 0);
    if ("mode" in n && n.mode !== undefined) chmodSync(p, n.mode);
    if ("xattrs" in n) for (const [k, v] of Object.entries(n.xattrs ?? {})) setXattr(p, k, bytes(v));
  }
  touchAll(root, mtime);
}

function touchAll(dir: string, mtime: number): void {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (lstatSync(p).isDirectory()) touchAll(p, mtime);
    lutimesSync(p, mtime, mtime);
  }
  lutimesSync(dir, mtime, mtime);
}

export interface Flat {
  type: string;
  mode: string;
  uid: number;
  gid: number;
  mtime?: number;
  content?: string;
  target?: string;
  dev?: string;
  xattrs?: Record<string, string>;
  /** Paths sharing this entry's inode (hard links), sorted; only when nlink > 1. */
  links?: string[];
}

/** Flatten a tree: path → type, mode, owner, content/target/device, xattrs (hex), hard-link peers. */
export function flattenTree(root: string, opts: { mtime?: boolean } = {}): Record<string, Flat> {
  const out: Record<string, Flat> = {};
  const inodes = new Map<number, string[]>();
  const visit = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(p);
      const type = st.isDirectory() ? "dir" : st.isSymbolicLink() ? "symlink" : st.isFile() ? "file" : st.isFIFO() ? "fifo" : st.isCharacterDevice() ? "char" : st.isBlockDevice() ? "block" : "other";
      const f: Flat = { type, mode: (st.mode & 0o7777).toString(8), uid: st.uid, gid: st.gid };
      if (opts.mtime && type !== "dir") f.mtime = Math.floor(st.mtimeMs / 1000);
      if (type === "file") {
        const data = readFileSync(p);
        f.content = data.length <= 256 ? data.toString("utf8") : `sha256:${new Bun.CryptoHasher("sha256").update(data).digest("hex")}`;
      }
      if (type === "symlink") f.target = readlinkSync(p);
      if (type === "char" || type === "block") f.dev = `${splitDev(st.rdev).major}:${splitDev(st.rdev).minor}`;
      const names = listXattrs(p).sort();
      if (names.length) f.xattrs = Object.fromEntries(names.map((n) => [n, Buffer.from(getXattr(p, n) ?? []).toString("hex")]));
      if (st.nlink > 1 && type === "file") inodes.set(st.ino, [...(inodes.get(st.ino) ?? []), r]);
      out[r] = f;
      if (type === "dir") visit(p, r);
    }
  };
  visit(root, "");
  for (const peers of inodes.values()) for (const p of peers) out[p]!.links = [...peers].sort();
  return out;
}
