/**
 * Content hashes of COPY/ADD sources, computed exactly as Docker's classic
 * builder computes them (builder/remotecontext/filehash.go + pkg/tarsum v1):
 * sha256 of the tar header fields (name, mode with file-type bits, uid, gid,
 * size, typeflag, linkname, uname, gname, devmajor, devminor — never the
 * mtime) followed by the file's bytes. A directory source is
 * `dir:` + sha256 of its entries' hashes, sorted and joined with ","; several
 * sources are `multi:` + the same over their hashes. These strings appear in
 * history (`COPY file:<hash> in /dst `) and are the content part of cache keys.
 */
import { closeSync, openSync, readSync } from "node:fs";

export type EntryKind = "file" | "dir" | "symlink" | "fifo" | "char" | "block" | "socket";

/** What the header of one entry needs. */
export interface HashHeader {
  /** Path relative to the source root, "/"-separated, no leading "./". */
  name: string;
  kind: EntryKind;
  /** Permission bits plus setuid/setgid/sticky (st_mode & 0o7777). */
  perm: number;
  size: number;
  uid: number;
  gid: number;
  uname: string;
  gname: string;
  link?: string;
  /** A regular file sent as a tar hard link to this earlier name (typeflag 1, size 0, no content). */
  hardlink?: string;
  rdevMajor?: number;
  rdevMinor?: number;
}

const TYPE_BITS: Record<EntryKind, number> = {
  file: 0o100000, dir: 0o40000, symlink: 0o120000, fifo: 0o10000, char: 0o20000, block: 0o60000, socket: 0o140000,
};
const TYPEFLAG: Record<EntryKind, string> = { file: "0", dir: "5", symlink: "2", fifo: "6", char: "3", block: "4", socket: "0" };

/** The tarsum v1 header text of an entry (what is hashed before the content). */
export function tarsumHeader(h: HashHeader): string {
  const name = h.kind === "dir" && !h.name.endsWith("/") ? `${h.name}/` : h.name;
  const size = h.kind === "file" && h.hardlink === undefined ? h.size : 0;
  return (
    `name${name}mode${(h.perm & 0o7777) | TYPE_BITS[h.kind]}uid${h.uid}gid${h.gid}size${size}` +
    `typeflag${h.hardlink !== undefined ? "1" : TYPEFLAG[h.kind]}linkname${h.hardlink ?? h.link ?? ""}uname${h.uname}gname${h.gname}` +
    `devmajor${h.rdevMajor ?? 0}devminor${h.rdevMinor ?? 0}`
  );
}

const READ_BUF = Buffer.allocUnsafe(1 << 20);

/** Hash of one entry: header, then (regular files only) the content read from `path`, streamed. */
export function hashEntry(h: HashHeader, path: string): string {
  const hasher = new Bun.CryptoHasher("sha256");
  hasher.update(tarsumHeader(h));
  if (h.kind === "file" && h.size > 0 && h.hardlink === undefined) {
    const fd = openSync(path, "r");
    try {
      for (;;) {
        const n = readSync(fd, READ_BUF, 0, READ_BUF.length, null);
        if (n <= 0) break;
        hasher.update(READ_BUF.subarray(0, n));
      }
    } finally {
      closeSync(fd);
    }
  }
  return hasher.digest("hex");
}

/** Hash of a header and content given in memory (downloads, tests). */
export function hashEntryBytes(h: HashHeader, content: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(tarsumHeader(h)).update(content).digest("hex");
}

/** Docker's hashStringSlice: `prefix:` + sha256 of the parts joined with ",". */
export function hashStringSlice(prefix: string, parts: readonly string[]): string {
  return `${prefix}:${new Bun.CryptoHasher("sha256").update(parts.join(",")).digest("hex")}`;
}

/** `dir:` hash of a directory from the hashes of every entry under it (itself included, as Docker walks it). */
export function dirSourceHash(entryHashes: readonly string[]): string {
  return hashStringSlice("dir", [...entryHashes].sort());
}

/** The created_by hash of a COPY/ADD: the source's own hash, or `multi:` over several. */
export function copySourcesHash(sourceHashes: readonly string[]): string {
  return sourceHashes.length === 1 ? sourceHashes[0]! : hashStringSlice("multi", sourceHashes);
}
