/**
 * Image references resolved by earlier builds, for the fully cached path:
 * FROM alpine needs the base's id and config, and resolving a name in the
 * store reads its catalog (every image it holds) — a few ms that a cached
 * build does not have. The answers are kept in `<store>/build/refs.json`,
 * valid while the store's index.json (where every tag lives, rewritten by
 * rename on any tag change) has the same size, mtime and inode.
 */
import { readFileSync, statSync, writeFileSync, renameSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { Digest, ImageConfig } from "../image/index.ts";

/** What FROM needs of a base image before any step misses the cache. */
export interface BaseImage {
  id: Digest;
  config: ImageConfig;
}

interface RefFile {
  index: string;
  refs: Record<string, BaseImage>;
}

export class RefCache {
  private data: RefFile | undefined;

  constructor(
    private readonly file: string,
    private readonly indexPath: string,
  ) {}

  private signature(): string {
    const st = statSync(this.indexPath, { bigint: true, throwIfNoEntry: false });
    return st ? `${st.size}:${st.mtimeNs}:${st.ino}` : "none";
  }

  private load(): RefFile {
    if (this.data) return this.data;
    const sig = this.signature();
    try {
      const d = JSON.parse(readFileSync(this.file, "utf8")) as RefFile;
      this.data = d.index === sig ? d : { index: sig, refs: {} };
    } catch {
      this.data = { index: sig, refs: {} };
    }
    return this.data;
  }

  get(ref: string): BaseImage | undefined {
    return this.load().refs[ref];
  }

  /** Remember `ref` → image (the index as it is now). */
  put(ref: string, image: BaseImage): void {
    const d = this.load();
    if (d.refs[ref]?.id === image.id) return;
    d.refs[ref] = { id: image.id, config: image.config };
    try {
      mkdirSync(dirname(this.file), { recursive: true });
      const tmp = `${this.file}.${process.pid}.tmp`;
      writeFileSync(tmp, JSON.stringify(d));
      renameSync(tmp, this.file);
    } catch {
      // only a cache: the next build resolves the name in the store again
    }
  }
}
