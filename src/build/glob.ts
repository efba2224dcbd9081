/**
 * COPY/ADD source wildcards with Go's filepath.Match semantics, which Docker's
 * classic builder applies to every path of the context relative to its root:
 * `*` and `?` never cross "/", `[a-z]` / `[^a-z]` classes, `\` escapes the
 * next character. A malformed pattern matches nothing (Docker ignores the error).
 * COPY --parents (BuildKit) also takes `**` as a whole path segment: any
 * number of directories, none included (`**` then `/package.json` matches
 * `package.json` and `a/b/package.json`), as .dockerignore patterns do.
 */

/** Docker's containsWildcards: an unescaped `*`, `?` or `[`. */
export function hasWildcards(pattern: string): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\") i++;
    else if (ch === "*" || ch === "?" || ch === "[") return true;
  }
  return false;
}

/** One literal character for the pattern's RegExp (unicode mode rejects needless escapes such as `\-` outside a class). */
function escapeRe(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

/** One literal character inside a RegExp class, where `-` must be escaped too. */
function escapeClassChar(ch: string): string {
  return ch === "-" ? "\\-" : escapeRe(ch);
}

/**
 * Compile a Go filepath.Match pattern to an anchored RegExp; undefined if the
 * pattern is malformed. `doubleStar`: a `**` segment spans directories.
 */
export function compileGoPattern(pattern: string, opts: { doubleStar?: boolean } = {}): RegExp | undefined {
  let re = "^";
  let i = 0;
  const n = pattern.length;
  while (i < n) {
    const ch = pattern[i]!;
    const segmentStart = i === 0 || pattern[i - 1] === "/";
    if (opts.doubleStar && ch === "*" && pattern[i + 1] === "*" && segmentStart && (i + 2 === n || pattern[i + 2] === "/")) {
      // `**` then `/` is zero or more directories; a final `**` is anything below.
      re += i + 2 === n ? ".*" : "(?:.*/)?";
      i += 3;
    } else if (ch === "*") {
      re += "[^/]*";
      i++;
    } else if (ch === "?") {
      re += "[^/]";
      i++;
    } else if (ch === "\\") {
      if (i + 1 >= n) return undefined;
      re += escapeRe(pattern[i + 1]!);
      i += 2;
    } else if (ch === "[") {
      const cls = compileClass(pattern, i + 1);
      if (!cls) return undefined;
      re += cls.re;
      i = cls.end;
    } else {
      re += escapeRe(ch);
      i++;
    }
  }
  try {
    return new RegExp(`${re}$`, "su");
  } catch {
    return undefined;
  }
}

/** One `[...]` class starting after the `[`; returns the regex and the index after `]`. */
function compileClass(p: string, start: number): { re: string; end: number } | undefined {
  let i = start;
  let negate = false;
  if (p[i] === "^") {
    negate = true;
    i++;
  }
  const ranges: string[] = [];
  const readChar = (): string | undefined => {
    const c = p[i];
    if (c === undefined || c === "-" || c === "]") return undefined;
    if (c === "\\") {
      i++;
      const e = p[i];
      if (e === undefined) return undefined;
      i++;
      return e;
    }
    i++;
    return c;
  };
  // Go requires at least one range, and `]` first is not a literal.
  do {
    const lo = readChar();
    if (lo === undefined) return undefined;
    let hi = lo;
    if (p[i] === "-") {
      i++;
      const h = readChar();
      if (h === undefined) return undefined;
      hi = h;
    }
    ranges.push(lo === hi ? escapeClassChar(lo) : `${escapeClassChar(lo)}-${escapeClassChar(hi)}`);
  } while (i < p.length && p[i] !== "]");
  if (p[i] !== "]") return undefined;
  // The negated class still never matches the separator.
  return { re: negate ? `[^/${ranges.join("")}]` : `[${ranges.join("")}]`, end: i + 1 };
}

/** filepath.Match(pattern, name): false for a malformed pattern. */
export function matchGoPattern(pattern: string, name: string, opts: { doubleStar?: boolean } = {}): boolean {
  return compileGoPattern(pattern, opts)?.test(name) ?? false;
}

