/**
 * The build context as COPY/ADD see it: a host directory minus what
 * .dockerignore excludes, walked lazily (a Dockerfile without COPY never
 * walks it; `COPY a /` stats one file), with Docker's content hashes served
 * from the stat-keyed HashCache. Paths are "/"-separated and relative to the
 * root ("" is the root itself).
 */
import { lstatSync, readdirSync, readlinkSync, type BigIntStats } from "node:fs";
import { BuildError } from "../errors.ts";
import { inodeOf, resolveInRoot } from "../layer/index.ts";
import type { SourceEntry, SourceTree } from "./copy-plan.ts";
import { signatureOf, type HashCache } from "./hash-cache.ts";
import { dirSourceHash, hashEntry, hashEntryBytes, type EntryKind, type HashHeader } from "./source-hash.ts";

/** The .dockerignore rules, as the walk needs them (dockerfile/'s DockerIgnore is one). */
export interface IgnoreMatcher {
  /** Is this path (or a parent of it) excluded? */
  matches(rel: string): boolean;
  /** May the walk skip an excluded directory, i.e. can no `!pattern` re-include something below it? */
  canSkipDir(rel: string): boolean;
}

interface ContextEntry {
  rel: string;
  kind: EntryKind;
  /** st_mode & 0o7777. */
  perm: number;
  size: number;
  mtimeMs: number;
  link?: string;
  stat: BigIntStats;
  /** `dev:ino` of a file with several names in the context (hard links). */
  inode?: string;
  /** A directory the context only has because a re-included file is below it. */
  implied?: boolean;
}

export function kindOf(st: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): EntryKind | undefined {
  if (st.isFile()) return "file";
  if (st.isDirectory()) return "dir";
  if (st.isSymbolicLink()) return "symlink";
  if (st.isFIFO()) return "fifo";
  if (st.isCharacterDevice()) return "char";
  if (st.isBlockDevice()) return "block";
  return undefined; // sockets: Docker's context tar leaves them out too
}

function joinRel(a: string, b: string): string {
  return a === "" ? b : `${a}/${b}`;
}

export class BuildContext implements SourceTree {
  readonly description = "build context or excluded by .dockerignore";
  private readonly entries = new Map<string, ContextEntry | null>();
  private readonly walked = new Map<string, ContextEntry[]>();
  private firstNames?: Map<string, string>;

  constructor(
    readonly root: string,
    private readonly ignore: IgnoreMatcher | undefined,
    private readonly hashes: HashCache,
  ) {}

  /** lstat one path; undefined when it is missing or excluded. */
  lookup(rel: string): ContextEntry | undefined {
    const cached = this.entries.get(rel);
    if (cached !== undefined) return cached ?? undefined;
    let entry: ContextEntry | null = null;
    const excluded = rel !== "" && this.ignore?.matches(rel) === true;
    const st = lstatSync(rel === "" ? this.root : `${this.root}/${rel}`, { bigint: true, throwIfNoEntry: false });
    const kind = st && kindOf(st);
    if (st && kind && !excluded) {
      entry = {
        rel,
        kind,
        perm: Number(st.mode) & 0o7777,
        size: kind === "file" ? Number(st.size) : 0,
        mtimeMs: Number(st.mtimeNs / 1_000_000n),
        link: kind === "symlink" ? readlinkSync(`${this.root}/${rel}`) : undefined,
        stat: st,
        inode: inodeOf(st),
      };
    } else if (st && kind === "dir" && excluded && !this.ignore!.canSkipDir(rel) && this.hasIncluded(rel)) {
      // An excluded directory with a `!`-included file below: the docker CLI sends the file,
      // and the daemon recreates the directory around it (0755, root, just now).
      entry = { rel, kind, perm: 0o755, size: 0, mtimeMs: Date.now(), stat: st, implied: true };
    }
    this.entries.set(rel, entry);
    return entry ?? undefined;
  }

  /** Does anything below the directory `rel` survive .dockerignore? */
  private hasIncluded(rel: string): boolean {
    return readdirSync(`${this.root}/${rel}`).some((name) => this.lookup(`${rel}/${name}`) !== undefined);
  }

  /**
   * Follow symlinks of a source path inside the context, as Docker's FullPath
   * does (the last component too: `COPY link /` copies what it points to);
   * nothing outside the root is ever reached.
   */
  resolve(rel: string): ContextEntry | undefined {
    const full = resolveInRoot(this.root, rel);
    const inner = full === this.root ? "" : full.slice(this.root.length + 1);
    return this.lookup(inner);
  }

  /** The entry and everything below it, pre-order, names sorted (Go's filepath.Walk order). */
  walk(rel: string): ContextEntry[] {
    const memo = this.walked.get(rel);
    if (memo) return memo;
    const out: ContextEntry[] = [];
    const top = this.lookup(rel);
    const visit = (dirRel: string) => {
      const dirPath = dirRel === "" ? this.root : `${this.root}/${dirRel}`;
      const names = readdirSync(dirPath).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
      for (const name of names) {
        const childRel = joinRel(dirRel, name);
        const child = this.lookup(childRel);
        if (!child) continue;
        out.push(child);
        if (child.kind === "dir") visit(childRel);
      }
    };
    if (top) {
      out.push(top);
      if (top.kind === "dir") visit(rel);
    }
    this.walked.set(rel, out);
    return out;
  }

  /** Docker's per-entry hash: context files count as owned by 0:0 (the docker CLI sends them so), no user names. */
  hashOf(e: ContextEntry): string {
    // Docker sums what the context tar carries; a directory it only implies "hashes" to its path.
    if (e.implied) return e.rel;
    // The docker CLI's context tar sends a file's later names (in walk order) as hard links to its
    // first: tarsum then sums a link header (typeflag 1, no content) for them. Cheap: no cache.
    const first = e.inode && this.firstNameOf(e.inode);
    if (first && first !== e.rel) {
      return hashEntryBytes({ name: e.rel, kind: "file", perm: e.perm, size: 0, uid: 0, gid: 0, uname: "", gname: "", hardlink: first }, new Uint8Array());
    }
    const st = { size: e.size, mtimeNs: e.stat.mtimeNs, ctimeNs: e.stat.ctimeNs, ino: e.stat.ino, mode: Number(e.stat.mode) };
    const sig = signatureOf(st);
    const hit = this.hashes.get(this.root, e.rel, sig);
    if (hit) return hit;
    const rdev = e.stat.rdev;
    const header: HashHeader = {
      name: e.rel,
      kind: e.kind,
      perm: e.perm,
      size: e.size,
      uid: 0,
      gid: 0,
      uname: "",
      gname: "",
      link: e.link,
      rdevMajor: e.kind === "char" || e.kind === "block" ? Number((rdev >> 8n) & 0xfffn) : 0,
      rdevMinor: e.kind === "char" || e.kind === "block" ? Number((rdev & 0xffn) | ((rdev >> 12n) & 0xfff00n)) : 0,
    };
    let hash: string;
    try {
      hash = hashEntry(header, `${this.root}/${e.rel}`);
    } catch (err) {
      throw new BuildError("E_BUILD_CONTEXT", `cannot read ${e.rel} in the build context: ${(err as Error).message}`, {
        cause: err,
        hint: "check that the file is readable by the user running kiln",
      });
    }
    this.hashes.put(this.root, e.rel, st, hash, Date.now());
    return hash;
  }

  /** The first name of a hard-linked file in the whole context's walk order (walked once, on first need). */
  private firstNameOf(inode: string): string | undefined {
    if (!this.firstNames) {
      this.firstNames = new Map();
      for (const x of this.walk("")) if (x.inode && !this.firstNames.has(x.inode)) this.firstNames.set(x.inode, x.rel);
    }
    return this.firstNames.get(inode);
  }

  pathOf(rel: string): string {
    return rel === "" ? this.root : `${this.root}/${rel}`;
  }

  /** The created_by hash of one source: `file:<hash>` for a file, `dir:<hash>` for a directory (only the `only` paths below it, if given). */
  sourceHash(source: SourceEntry, only?: ReadonlySet<string>): string {
    const e = this.lookup(source.rel);
    if (!e) throw new BuildError("E_BUILD_CONTEXT", `${source.rel} vanished from the build context while building`);
    if (e.kind !== "dir") return `file:${this.hashOf(e)}`;
    // Docker walks from the source dir (skipping only the context root) and asks its tarsum
    // context for each path's sum: symlinks are followed inside the context, and a path the
    // context tar does not carry (a dangling link, an implied directory) "hashes" to itself.
    return dirSourceHash(
      this.walk(e.rel)
        .filter((x) => x.rel !== "" && (!only || x.rel === e.rel || only.has(x.rel)))
        .map((x) => {
          if (x.kind !== "symlink") return this.hashOf(x);
          const target = this.resolve(x.rel);
          return target && !target.implied ? this.hashOf(target) : x.rel;
        }),
    );
  }

  /** Persist the hashes computed in this build. */
  flushHashes(): void {
    this.hashes.flush();
  }

  /** Every included path of the context (for wildcard sources), root excluded. */
  all(): ContextEntry[] {
    return this.walk("").filter((e) => e.rel !== "");
  }
}
