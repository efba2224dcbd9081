/**
 * An image's root filesystem as a COPY --from source tree: the merged
 * read-only mount the copy op gets for another stage or image. Paths resolve
 * inside it (resolveInRoot); hashes are Docker's, with the files' real owners
 * (Docker hashes image sources as they are on disk, without user names).
 */
import { lstatSync, readdirSync, readlinkSync } from "node:fs";
import { resolveInRoot } from "../layer/index.ts";
import { kindOf } from "./context.ts";
import type { SourceEntry, SourceTree } from "./copy-plan.ts";
import { dirSourceHash, hashEntry } from "./source-hash.ts";

interface ImageEntry extends SourceEntry {
  uid: number;
  gid: number;
  size: number;
}

export class ImageTree implements SourceTree {
  private readonly memo = new Map<string, ImageEntry | null>();

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
      ? { rel, kind, perm: st.mode & 0o7777, mtimeMs: st.mtimeMs, uid: st.uid, gid: st.gid, size: kind === "file" ? st.size : 0, link: kind === "symlink" ? readlinkSync(path) : undefined }
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
    return hashEntry({ name: e.rel, kind: e.kind, perm: e.perm, size: e.size, uid: e.uid, gid: e.gid, uname: "", gname: "", link: e.link }, this.pathOf(e.rel));
  }

  sourceHash(source: SourceEntry): string {
    const e = this.lookup(source.rel)!;
    if (e.kind !== "dir") return `file:${this.hashOf(e)}`;
    return dirSourceHash(this.walk(e.rel).filter((x) => x.rel !== "").map((x) => this.hashOf(this.lookup(x.rel)!)));
  }
}
