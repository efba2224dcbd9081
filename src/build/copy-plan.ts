/**
 * The meaning of COPY/ADD sources and destination (Docker's classic builder,
 * builder/dockerfile/copy.go): which files a source names (wildcards with Go
 * filepath.Match over every path of the source tree, symlinks of a named
 * source followed inside the tree), the errors Docker gives for missing
 * sources and for several sources into a non-directory, where a relative
 * destination lands, and the history text (`COPY file:<hash> in /dst `).
 * The same planning runs on the host for the build context and inside the
 * copy op for `--from` sources (an image root mounted in the container).
 * BuildKit's --parents and --exclude (copy-select.ts) are applied here too.
 */
import { BuildError } from "../errors.ts";
import type { CopyItem, CopyTreeEntry } from "../layer/index.ts";
import { ExcludeFilter, parentsPlacement, splitPivot, type CopySelect } from "./copy-select.ts";
import { compileGoPattern, hasWildcards } from "./glob.ts";
import { copySourcesHash, hashStringSlice, type EntryKind } from "./source-hash.ts";
import { joinClean } from "./state.ts";

/** One path of a source tree. */
export interface SourceEntry {
  rel: string;
  kind: EntryKind;
  perm: number;
  mtimeMs: number;
  link?: string;
  /** Owners, for image trees (COPY --from keeps them). */
  uid?: number;
  gid?: number;
  /** `dev:ino` of a file with several names (layer/copy.ts keeps them hard-linked). */
  inode?: string;
}

/** A tree COPY reads from: the build context, or an image's root. */
export interface SourceTree {
  /** What a source path names, symlinks followed inside the tree; undefined if missing (or excluded). */
  resolve(rel: string): SourceEntry | undefined;
  /** The entry and everything below it, pre-order. */
  walk(rel: string): SourceEntry[];
  /** Every path of the tree (root excluded), for wildcards. */
  all(): SourceEntry[];
  /** Absolute path of an entry, readable where the copy runs. */
  pathOf(rel: string): string;
  /** Docker's `file:<hash>` / `dir:<hash>` of an entry; `only`: the paths below a directory that count (--exclude). */
  sourceHash(e: SourceEntry, only?: ReadonlySet<string>): string;
  /** How a missing source is described ("build context", "stage builder"). */
  readonly description: string;
}

interface PlannedSource {
  item: CopyItem;
  hash: string;
  /** The path in the tree the source resolved to. */
  rel: string;
  /** --exclude on a directory: the entries copied (itself included), for the step's per-file sources. */
  kept?: SourceEntry[];
  /** --parents: where below the destination (a directory, "" for itself) the item goes. */
  at?: string;
  /** --parents: the parent directories to make (no files), copied into the destination after `item`. */
  parents?: CopyItem;
}

/** Docker's normalizeDest: a relative destination is under WORKDIR; a trailing "/" is kept. */
export function normalizeDest(workdir: string | undefined, dest: string): string {
  if (dest.startsWith("/")) return dest;
  const joined = joinClean("/", workdir ?? "/", dest);
  return dest.endsWith("/") && joined !== "/" ? `${joined}/` : joined;
}

/** Docker's trimming of a source path before lookup: one leading "/" and one leading "./". */
export function cleanSourcePath(src: string): string {
  let p = src.startsWith("/") ? src.slice(1) : src;
  if (p.startsWith("./")) p = p.slice(2);
  return p;
}

function baseName(p: string): string {
  const t = p.replace(/\/+$/, "");
  return t === "" ? "." : t.slice(t.lastIndexOf("/") + 1);
}

function toTreeEntry(e: SourceEntry, dirRel: string): CopyTreeEntry | undefined {
  if (e.kind !== "file" && e.kind !== "dir" && e.kind !== "symlink") return undefined;
  const rel = dirRel === "" ? e.rel : e.rel.slice(dirRel.length + 1);
  return { rel, kind: e.kind, perm: e.perm, mtime: Math.floor(e.mtimeMs / 1000), link: e.link, uid: e.uid, gid: e.gid, inode: e.inode };
}

/** The copy item and hash of one named path (Docker's calcCopyInfo without wildcards). */
function planOne(tree: SourceTree, rel: string, cmd: string, exclude?: ExcludeFilter): PlannedSource {
  const e = tree.resolve(rel);
  if (!e) {
    throw new BuildError("E_BUILD", `${cmd} failed: file not found in ${tree.description}: stat ${rel || "."}: file does not exist`, {
      hint: tree.description.startsWith("build context") ? "check the path (relative to the context directory) and .dockerignore" : "check the path in that stage or image",
    });
  }
  const item: CopyItem = { path: tree.pathOf(e.rel), name: baseName(rel), kind: e.kind === "dir" ? "dir" : "file", perm: e.perm, mtime: Math.floor(e.mtimeMs / 1000), uid: e.uid, gid: e.gid };
  if (e.kind === "dir") {
    const below = (x: SourceEntry) => (x.rel === e.rel ? "" : e.rel === "" ? x.rel : x.rel.slice(e.rel.length + 1));
    const kept = exclude ? exclude.keep(tree.walk(e.rel), below) : undefined;
    item.entries = (kept ?? tree.walk(e.rel)).flatMap((x) => (x.rel === e.rel ? [] : (toTreeEntry(x, e.rel) ?? [])));
    if (kept) return { item, hash: tree.sourceHash(e, new Set(kept.map((x) => x.rel))), rel: e.rel, kept };
  } else if (e.kind !== "file") {
    throw new BuildError("E_BUILD", `${cmd} failed: ${rel} is a ${e.kind}, which cannot be copied`, { hint: "copy regular files, directories and symlinks only" });
  }
  return { item, hash: tree.sourceHash(e), rel: e.rel };
}

/**
 * --parents: the planned source goes to its path below the pivot, and the
 * directories on the way are made with the source dirs' modes and times
 * (BuildKit's fsutil createParentDirs; owner from --chown, else root). The
 * hash covers that path, so another pivot is another cache key.
 */
function withParents(tree: SourceTree, p: PlannedSource, name: string, depth: number): PlannedSource {
  const { pivot, kept } = parentsPlacement(name, depth);
  if (kept === "") return p;
  const segs = kept.split("/");
  const entries: CopyTreeEntry[] = [];
  for (let i = 1; i <= (p.item.kind === "dir" ? segs.length : segs.length - 1); i++) {
    const rel = segs.slice(0, i).join("/");
    const d = tree.resolve(pivot === "" ? rel : `${pivot}/${rel}`);
    // Only directories are listed, so the op never reads below `path`: symlinks on the way cannot lead it out.
    const entry: CopyTreeEntry = { rel, kind: "dir", perm: d?.kind === "dir" ? d.perm : 0o755, mtime: Math.floor((d?.mtimeMs ?? 0) / 1000) };
    // A directory source is copied as itself: it keeps its owner where its files do (--from without --chown).
    if (i === segs.length) Object.assign(entry, { uid: d?.uid, gid: d?.gid });
    entries.push(entry);
  }
  const at = p.item.kind === "dir" ? kept : segs.slice(0, -1).join("/");
  const parents: CopyItem | undefined = entries.length > 0 ? { path: tree.pathOf(pivot), name: baseName(pivot), kind: "dir", perm: 0o755, mtime: 0, entries } : undefined;
  return { ...p, hash: hashStringSlice(p.item.kind === "dir" ? "dir" : "file", [kept, p.hash]), at, parents };
}

/**
 * The files one COPY/ADD source names in a tree: itself (missing is an
 * error), or for a wildcard every path it matches, possibly none.
 */
export function planSource(tree: SourceTree, src: string, cmd: "COPY" | "ADD", select: CopySelect = {}): PlannedSource[] {
  const { path: rel, depth } = select.parents ? splitPivot(cleanSourcePath(src)) : { path: cleanSourcePath(src), depth: 0 };
  const exclude = select.exclude?.length ? new ExcludeFilter(select.exclude) : undefined;
  const plan = (name: string) => (select.parents ? withParents(tree, planOne(tree, name, cmd, exclude), name, depth) : planOne(tree, name, cmd, exclude));
  if (!hasWildcards(rel)) return [plan(rel)];
  const re = compileGoPattern(rel, { doubleStar: select.parents });
  if (!re) return []; // Docker ignores filepath.ErrBadPattern: nothing matches
  // A wildcard match is itself subject to --exclude, by its path in the tree.
  return tree.all().flatMap((e) => (re.test(e.rel) && !exclude?.excludes(e.rel) ? [plan(e.rel)] : []));
}

/**
 * The copy items of a planned source, in order: the source (into its
 * --parents directory), then the parent directories it needs, whose modes
 * and times are set after the source's copy touched them.
 */
export function copiedItems(p: PlannedSource): { item: CopyItem; at: string | null }[] {
  return [{ item: p.item, at: p.at ?? null }, ...(p.parents ? [{ item: p.parents, at: null }] : [])];
}

/**
 * Docker's getCopyInfosForSourcePaths: a wildcard that matches nothing is
 * dropped, and only a COPY/ADD left with no file at all fails.
 */
export function noSourceFiles(cmd: "COPY" | "ADD"): BuildError {
  return new BuildError("E_BUILD", `${cmd} failed: no source files were specified`, { hint: "the wildcards matched no file" });
}

/** Resolve all the sources of one COPY/ADD in a tree (planSource for each; none at all is an error). */
export function planSources(tree: SourceTree, sources: readonly string[], cmd: "COPY" | "ADD", select: CopySelect = {}): PlannedSource[] {
  const out = sources.flatMap((src) => planSource(tree, src, cmd, select));
  if (out.length === 0) throw noSourceFiles(cmd);
  return out;
}

/** Several sources need a destination directory written with a trailing "/". */
export function checkDestination(cmd: "COPY" | "ADD", sourceCount: number, dest: string): void {
  if (sourceCount > 1 && !dest.endsWith("/")) {
    throw new BuildError("E_BUILD", `When using ${cmd} with more than one source file, the destination must be a directory and end with a /`, {
      hint: `write the destination as "${dest}/"`,
    });
  }
}

/** The history comment of a COPY/ADD (after `#(nop) `), as Docker's performCopy writes it. */
export function copyComment(cmd: "COPY" | "ADD", chown: string | undefined, hashes: readonly string[], dest: string): string {
  return `${cmd} ${chown ? `--chown=${chown}` : ""}${copySourcesHash(hashes)} in ${dest} `;
}
