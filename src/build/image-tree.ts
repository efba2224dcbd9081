/**
 * An image's root filesystem as a COPY --from source tree: the merged
 * read-only mount the copy op gets for another stage or image. Paths resolve
 * inside it (resolveInRoot); hashes are Docker's, with the files' real owners
 * and — unlike context files — their user and group names, which Docker's
 * daemon looks up in the host's /etc/passwd and /etc/group (checked against
 * dockerd 20.10: a root-owned file hashes with uname "root").
 */
import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { inodeOf, resolveInRoot } from "../layer/index.ts";
import { kindOf } from "./context.ts";
import type { SourceEntry, SourceTree } from "./copy-plan.ts";
import { dirSourceHash, hashEntry } from "./source-hash.ts";

/** id → name from a host passwd/group file (what Go's os/user does without cgo). */
function namesFrom(file: string): Map<number, string> {
  const m = new Map<number, string>();
  try {
    for (const line of readFileSync(file, "utf8").split("\n")) {
      const f = line.split(":");
      if (f[0] && f[2] && /^\d+$/.test(f[2]) && !m.has(Number(f[2]))) m.set(Number(f[2]), f[0]);
    }
  } catch {
    // no names: hashed with empty ones
  }
  return m;
}

interface ImageEntry extends SourceEntry {
  uid: number;
  gid: number;
  size: number;
}

export class ImageTree implements SourceTree {
  private readonly memo = new Map<string, ImageEntry | null>();
  private users?: Map<number, string>;
  private groups?: Map<number, string>;

  constructor(
    readonly root: string,
    readonly description: string,
  ) {}

  private lookup(rel: string): ImageEntry | undefined {
    const m = this.memo.get(rel);
    if (m !== undefined) return m ?? undefined;
    const path = this.pathOf(rel);
    const st = lstatSync(path, { throwIfNoEntry: false });
    const kind = st && kindOf(st);
    const e: ImageEntry | null = st && kind
      ? { rel, kind, perm: st.mode & 0o7777, mtimeMs: st.mtimeMs, uid: st.uid, gid: st.gid, size: kind === "file" ? st.size : 0, link: kind === "symlink" ? readlinkSync(path) : undefined, inode: inodeOf(st) }
      : null;
    this.memo.set(rel, e);
    return e ?? undefined;
  }

  pathOf(rel: string): string {
    return rel === "" ? this.root : `${this.root}/${rel}`;
  }

  resolve(rel: string): SourceEntry | undefined {
    const full = resolveInRoot(this.root, rel);
    return this.lookup(full === this.root ? "" : full.slice(this.root.length + 1));
  }

  walk(rel: string): SourceEntry[] {
    const out: SourceEntry[] = [];
    const visit = (r: string) => {
      const e = this.lookup(r);
      if (!e) return;
      out.push(e);
      if (e.kind !== "dir") return;
      for (const name of readdirSync(this.pathOf(r)).sort()) visit(r === "" ? name : `${r}/${name}`);
    };
    visit(rel);
    return out;
  }

  all(): SourceEntry[] {
    return this.walk("").filter((e) => e.rel !== "");
  }

  private hashOf(e: ImageEntry): string {
    this.users ??= namesFrom("/etc/passwd");
    this.groups ??= namesFrom("/etc/group");
    const uname = this.users.get(e.uid) ?? "";
    const gname = this.groups.get(e.gid) ?? "";
    return hashEntry({ name: e.rel, kind: e.kind, perm: e.perm, size: e.size, uid: e.uid, gid: e.gid, uname, gname, link: e.link }, this.pathOf(e.rel));
  }

  /** `only`: the paths below a directory source that count (COPY --exclude). */
  sourceHash(source: SourceEntry, only?: ReadonlySet<string>): string {
    const e = this.lookup(source.rel)!;
    if (e.kind !== "dir") return `file:${this.hashOf(e)}`;
    return dirSourceHash(this.walk(e.rel).filter((x) => x.rel !== "" && (!only || x.rel === e.rel || only.has(x.rel))).map((x) => this.hashOf(this.lookup(x.rel)!)));
  }
}
