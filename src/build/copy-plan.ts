/**
 * The meaning of COPY/ADD sources and destination (Docker's classic builder,
 * builder/dockerfile/copy.go): which files a source names (wildcards with Go
 * filepath.Match over every path of the source tree, symlinks of a named
 * source followed inside the tree), the errors Docker gives for missing
 * sources and for several sources into a non-directory, where a relative
 * destination lands, and the history text (`COPY file:<hash> in /dst `).
 * The same planning runs on the host for the build context and inside the
 * copy op for `--from` sources (an image root mounted in the container).
 */
import { BuildError } from "../errors.ts";
import type { CopyItem, CopyTreeEntry } from "../layer/index.ts";
import { compileGoPattern, hasWildcards } from "./glob.ts";
import { copySourcesHash, type EntryKind } from "./source-hash.ts";
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
  /** Docker's `file:<hash>` / `dir:<hash>` of an entry. */
  sourceHash(e: SourceEntry): string;
  /** How a missing source is described ("build context", "stage builder"). */
  readonly description: string;
}

export interface PlannedSource {
  item: CopyItem;
  hash: string;
  /** The path in the tree the source resolved to. */
  rel: string;
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
function planOne(tree: SourceTree, rel: string, cmd: string): PlannedSource {
  const e = tree.resolve(rel);
  if (!e) {
    throw new BuildError("E_BUILD", `${cmd} failed: file not found in ${tree.description}: stat ${rel || "."}: file does not exist`, {
      hint: tree.description.startsWith("build context") ? "check the path (relative to the context directory) and .dockerignore" : "check the path in that stage or image",
    });
  }
  const item: CopyItem = { path: tree.pathOf(e.rel), name: baseName(rel), kind: e.kind === "dir" ? "dir" : "file", perm: e.perm, mtime: Math.floor(e.mtimeMs / 1000), uid: e.uid, gid: e.gid };
  if (e.kind === "dir") {
    item.entries = tree.walk(e.rel).flatMap((x) => (x.rel === e.rel ? [] : (toTreeEntry(x, e.rel) ?? [])));
  } else if (e.kind !== "file") {
    throw new BuildError("E_BUILD", `${cmd} failed: ${rel} is a ${e.kind}, which cannot be copied`, { hint: "copy regular files, directories and symlinks only" });
  }
  return { item, hash: tree.sourceHash(e), rel: e.rel };
}

/**
 * The files one COPY/ADD source names in a tree: itself (missing is an
 * error), or for a wildcard every path it matches, possibly none.
 */
export function planSource(tree: SourceTree, src: string, cmd: "COPY" | "ADD"): PlannedSource[] {
  const rel = cleanSourcePath(src);
  if (!hasWildcards(rel)) return [planOne(tree, rel, cmd)];
  const re = compileGoPattern(rel);
  if (!re) return []; // Docker ignores filepath.ErrBadPattern: nothing matches
  return tree.all().flatMap((e) => (re.test(e.rel) ? [planOne(tree, e.rel, cmd)] : []));
}

/**
 * Docker's getCopyInfosForSourcePaths: a wildcard that matches nothing is
 * dropped, and only a COPY/ADD left with no file at all fails.
 */
export function noSourceFiles(cmd: "COPY" | "ADD"): BuildError {
  return new BuildError("E_BUILD", `${cmd} failed: no source files were specified`, { hint: "the wildcards matched no file" });
}

/** Resolve all the sources of one COPY/ADD in a tree (planSource for each; none at all is an error). */
export function planSources(tree: SourceTree, sources: readonly string[], cmd: "COPY" | "ADD"): PlannedSource[] {
  const out = sources.flatMap((src) => planSource(tree, src, cmd));
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
