/**
 * BuildKit's COPY --parents and COPY/ADD --exclude (Dockerfile reference),
 * the parts that do not depend on a tree: where a source lands below the
 * destination, and which paths the exclude patterns leave out.
 *
 * --parents: a source keeps its path relative to the context (or stage)
 * root, or relative to a `/./` in it, the pivot: `x/./y/a.txt` lands at
 * `y/a.txt`. The first `/./` counts (Go's filepath.Clean would erase any).
 *
 * --exclude: .dockerignore syntax (`*`, `?`, `**`, `[...]`, `!` re-includes),
 * a pattern also excludes what is below a path it matches. Paths are
 * relative to a directory source (what is below it), or for a wildcard
 * match its own path relative to the context.
 */
import { BuildError, KilnError } from "../errors.ts";
import { DockerIgnore } from "../dockerfile/index.ts";
import { joinClean } from "./state.ts";

/** What --parents and --exclude ask of one COPY/ADD. */
export interface CopySelect {
  parents?: boolean;
  exclude?: readonly string[];
}

/** A source path (already without its leading "/" or "./") split at its pivot. */
interface PivotSplit {
  /** The path with the `/./` marker removed, lexically cleaned ("" is the root). */
  path: string;
  /** How many leading segments of `path` the pivot is (0: the root). */
  depth: number;
}

/** Lexical clean of a relative path: no ".", "..", empty segments (".." stops at the root). */
function cleanRel(p: string): string {
  return joinClean("/", p).slice(1);
}

/** Split `x/./y/*.txt` into path `x/y/*.txt` with a pivot one segment deep. */
export function splitPivot(src: string): PivotSplit {
  const at = src.indexOf("/./");
  if (at < 0) return { path: cleanRel(src), depth: 0 };
  const pivot = cleanRel(src.slice(0, at));
  const path = cleanRel(`${src.slice(0, at)}/${src.slice(at + 3)}`);
  // A pivot that `..` climbs out of is no pivot: the path is kept from the root.
  if (pivot !== "" && path !== pivot && !path.startsWith(`${pivot}/`)) return { path, depth: 0 };
  return { path, depth: pivot === "" ? 0 : pivot.split("/").length };
}

/**
 * Where a source at `rel` (relative to the root) lands with --parents: the
 * pivot directory it is kept below, and its path relative to that pivot
 * ("" when the source is the pivot itself: copied as without --parents).
 */
export function parentsPlacement(rel: string, depth: number): { pivot: string; kept: string } {
  const segs = rel === "" ? [] : rel.split("/");
  const d = Math.min(depth, segs.length);
  return { pivot: segs.slice(0, d).join("/"), kept: segs.slice(d).join("/") };
}

/** The --exclude patterns of one COPY/ADD, compiled. */
export class ExcludeFilter {
  private readonly ignore: DockerIgnore;

  constructor(patterns: readonly string[]) {
    try {
      this.ignore = new DockerIgnore(patterns);
    } catch (err) {
      const msg = err instanceof KilnError ? err.message.replace(/^\.dockerignore: /, "") : String(err);
      throw new BuildError("E_BUILD", `--exclude: ${msg}`, { hint: "write --exclude patterns as in .dockerignore (*, ?, **, [a-z], !pattern)" });
    }
  }

  /** Is the path (relative to what the patterns apply to) left out? */
  excludes(rel: string): boolean {
    return rel !== "" && this.ignore.matches(rel);
  }

  /**
   * The paths of a pre-order walk below a directory that are copied: those
   * not excluded, plus an excluded directory when something below it is
   * re-included by a `!` pattern (it is needed to hold it).
   */
  keep<T>(entries: readonly T[], relOf: (e: T) => string): T[] {
    const rels = entries.map(relOf);
    const kept = new Set<string>();
    rels.forEach((rel) => {
      if (rel !== "" && this.excludes(rel)) return;
      kept.add(rel);
      for (let i = rel.lastIndexOf("/"); i > 0; i = rel.lastIndexOf("/", i - 1)) kept.add(rel.slice(0, i));
    });
    return entries.filter((_, i) => kept.has(rels[i]!));
  }
}
