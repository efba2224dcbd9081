// .dockerignore: reading the file (comments, `!` exceptions, leading `/`,
// path cleaning) and matching context paths with Docker's rules
// (moby/patternmatcher): `*` and `?` stop at `/`, `**` crosses directories,
// a pattern that matches a parent directory matches everything below it, and
// the last matching pattern wins. Patterns are compiled to RegExps once; the
// parent-aware matcher lets a tree walk reuse its directory's results.
import { KilnError } from "../errors.ts";

/** Go's filepath.Clean for slash-separated paths. */
export function cleanPath(p: string): string {
  if (p === "") return ".";
  const rooted = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
      continue;
    }
    out.push(part);
  }
  const joined = out.join("/");
  return rooted ? `/${joined}` : joined || ".";
}

/**
 * The patterns of a .dockerignore file, normalised as Docker's ignorefile
 * reader does: `#` lines (at column 0) skipped, blanks trimmed, paths
 * cleaned, a leading `/` dropped (patterns are relative to the context).
 */
export function readDockerignore(text: string): string[] {
  const out: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!;
    if (i === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.startsWith("#")) continue;
    let pattern = line.trim();
    if (pattern === "") continue;
    const invert = pattern[0] === "!";
    if (invert) pattern = pattern.slice(1).trim();
    if (pattern.length > 0) {
      pattern = cleanPath(pattern);
      if (pattern.length > 1 && pattern[0] === "/") pattern = pattern.slice(1);
    }
    out.push(invert ? `!${pattern}` : pattern);
  }
  return out;
}

type MatchType = "exact" | "prefix" | "suffix" | "regexp";

/** One compiled pattern. */
export interface IgnorePattern {
  /** The cleaned pattern, without `!`. */
  pattern: string;
  /** `!pattern`: re-includes what earlier patterns excluded. */
  exclusion: boolean;
  segments: string[];
  matchType: MatchType;
  regexp?: RegExp;
}

function badPattern(pattern: string): KilnError {
  return new KilnError("E_BUILD_CONTEXT", `.dockerignore: syntax error in pattern "${pattern}"`, {
    hint: "Fix or remove the pattern; see https://docs.docker.com/build/concepts/context/#dockerignore-files",
  });
}

/** Go's filepath.Match syntax check: balanced classes, no empty class or dangling range or escape. */
function checkSyntax(p: string): void {
  for (let i = 0; i < p.length; i++) {
    const c = p[i];
    if (c === "\\") {
      if (++i >= p.length) throw badPattern(p);
    } else if (c === "[") {
      i++;
      if (p[i] === "^") i++;
      let ranges = 0;
      for (;;) {
        if (i >= p.length) throw badPattern(p);
        if (p[i] === "]" && ranges > 0) break;
        if (p[i] === "-" || p[i] === "]") throw badPattern(p);
        if (p[i] === "\\" && ++i >= p.length) throw badPattern(p);
        i++;
        if (p[i] === "-") {
          i++;
          if (i >= p.length || p[i] === "]" || p[i] === "-") throw badPattern(p);
          if (p[i] === "\\" && ++i >= p.length) throw badPattern(p);
          i++;
        }
        ranges++;
      }
    }
  }
}

// A character made literal: outside a class, and inside one.
const literal = (ch: string): string => (/[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch);
const classLiteral = (ch: string): string => (/[\\\]^[-]/.test(ch) ? `\\${ch}` : ch);

/** Compile one pattern (patternmatcher's Pattern.compile). */
export function compileIgnorePattern(raw: string): IgnorePattern {
  let p = cleanPath(raw.trim());
  const exclusion = p[0] === "!";
  if (exclusion) {
    if (p.length === 1) throw new KilnError("E_BUILD_CONTEXT", '.dockerignore: illegal exclusion pattern: "!"');
    p = p.slice(1);
  }
  checkSyntax(p);
  const chars = Array.from(p);
  let re = "^";
  let matchType: MatchType = "exact";
  let inClass = false;
  // `step` counts pattern tokens as Go's loop does: a leading `**` is token 0.
  for (let i = 0, step = 0; i < chars.length; i++, step++) {
    const ch = chars[i]!;
    if (inClass) {
      if (ch === "\\") re += classLiteral(chars[++i]!);
      else {
        if (ch === "]") inClass = false;
        re += ch;
      }
    } else if (ch === "*") {
      if (chars[i + 1] === "*") {
        i++;
        if (chars[i + 1] === "/") i++; // `**/` is `**`
        if (i + 1 >= chars.length) {
          // `**` at the end matches everything below, like .gitignore.
          if (matchType === "exact") matchType = "prefix";
          else {
            re += ".*";
            matchType = "regexp";
          }
        } else {
          re += "(.*/)?";
          matchType = "regexp";
        }
        if (step === 0) matchType = "suffix";
      } else {
        re += "[^/]*";
        matchType = "regexp";
      }
    } else if (ch === "?") {
      re += "[^/]";
      matchType = "regexp";
    } else if (ch === "\\") {
      // An escaped character is literal (filepath.Match semantics).
      re += literal(chars[++i]!);
      matchType = "regexp";
    } else if (ch === "[") {
      inClass = true;
      re += ch;
      matchType = "regexp";
    } else re += literal(ch);
  }
  const out: IgnorePattern = { pattern: p, exclusion, segments: p.split("/"), matchType };
  if (matchType === "regexp") {
    try {
      out.regexp = new RegExp(`${re}$`, "su");
    } catch {
      throw badPattern(p);
    }
  }
  return out;
}

/** Does `pattern` match `path` itself (no parent rule)? */
export function matchPattern(pat: IgnorePattern, path: string): boolean {
  switch (pat.matchType) {
    case "exact":
      return path === pat.pattern;
    case "prefix":
      return path.startsWith(pat.pattern.slice(0, -2));
    case "suffix": {
      const suffix = pat.pattern.slice(2);
      return path.endsWith(suffix) || (suffix[0] === "/" && path === suffix.slice(1));
    }
    default:
      return pat.regexp!.test(path);
  }
}
