// Matching context paths against compiled .dockerignore patterns, and where
// to find the ignore file for a Dockerfile.
import { cleanPath, compileIgnorePattern, type IgnorePattern, matchPattern, readDockerignore } from "./dockerignore.ts";

// Most walk paths are already clean; only clean the ones that are not.
const NEEDS_CLEAN = /(?:^|\/)\.{1,2}(?:\/|$)|\/\/|^\/|\/$|^$/;

/** Per-pattern results for a directory, handed to its children (MatchesUsingParentResults). */
export interface ParentMatch {
  matched: boolean[];
}

/** A compiled .dockerignore. Paths are relative to the context, `/`-separated. */
export class DockerIgnore {
  readonly patterns: IgnorePattern[];
  /** Some pattern starts with `!`. */
  readonly hasExclusions: boolean;

  constructor(patterns: readonly string[]) {
    this.patterns = patterns.filter((p) => p.trim() !== "").map(compileIgnorePattern);
    this.hasExclusions = this.patterns.some((p) => p.exclusion);
  }

  /** Compile the text of a .dockerignore file. Throws KilnError E_BUILD_CONTEXT on a bad pattern. */
  static parse(text: string): DockerIgnore {
    return new DockerIgnore(readDockerignore(text));
  }

  /** Is `path` excluded from the context? (patterns also apply through parent directories) */
  matches(path: string): boolean {
    return this.matchesWithParent(path).ignored;
  }

  /**
   * Like matches(), reusing the results of the parent directory (pass what
   * the call for the directory returned) so a walk does not re-test every
   * ancestor of every file.
   */
  matchesWithParent(path: string, parent?: ParentMatch): { ignored: boolean; info: ParentMatch } {
    const file = NEEDS_CLEAN.test(path) ? cleanPath(path) : path;
    const info: ParentMatch = { matched: new Array<boolean>(this.patterns.length).fill(false) };
    let ignored = false;
    let ancestors: string[] | undefined;
    for (let i = 0; i < this.patterns.length; i++) {
      const pat = this.patterns[i]!;
      let match = parent?.matched[i] ?? false;
      if (!match) {
        // An exclusion only matters once something matched, an inclusion only before.
        if (pat.exclusion !== ignored) continue;
        match = matchPattern(pat, file);
        if (!match && !parent) {
          ancestors ??= parentDirs(file);
          for (const dir of ancestors) {
            if (matchPattern(pat, dir)) {
              match = true;
              break;
            }
          }
        }
      }
      info.matched[i] = match;
      if (match) ignored = !pat.exclusion;
    }
    return { ignored, info };
  }

  /**
   * May a walk skip everything below the directory `dir`? Only when `dir` is
   * ignored and no `!` pattern could match something inside it.
   */
  canSkipDir(dir: string, ignored = this.matches(dir)): boolean {
    if (!ignored) return false;
    if (!this.hasExclusions) return true;
    const segs = cleanPath(dir).split("/");
    return !this.patterns.some((p) => p.exclusion && mayMatchBelow(p, segs));
  }
}

/** "a/b/c" → ["a", "a/b"]. */
function parentDirs(path: string): string[] {
  const out: string[] = [];
  for (let i = path.indexOf("/"); i > 0; i = path.indexOf("/", i + 1)) out.push(path.slice(0, i));
  return out;
}

/** Could the pattern match a path strictly below the directory with these segments? */
function mayMatchBelow(p: IgnorePattern, dir: string[]): boolean {
  for (let i = 0; i < dir.length; i++) {
    const seg = p.segments[i];
    if (seg === undefined) return false; // without `**` a pattern matches exactly its own depth
    if (seg.includes("**")) return true;
    let segment: IgnorePattern;
    try {
      segment = compileIgnorePattern(seg);
    } catch {
      return true; // a class spanning `/`: do not guess
    }
    if (!matchPattern(segment, dir[i]!)) return false;
  }
  return p.segments.length > dir.length || p.segments.some((s) => s.includes("**"));
}

/**
 * The ignore files to look for, in order of precedence: `<Dockerfile>.dockerignore`
 * beside the Dockerfile, then `.dockerignore` at the context root. The first
 * that exists is used.
 */
export function dockerignoreCandidates(dockerfilePath: string, contextDir: string): string[] {
  const root = contextDir.endsWith("/") ? contextDir.slice(0, -1) : contextDir;
  return [`${dockerfilePath}.dockerignore`, `${root || "."}/.dockerignore`];
}
