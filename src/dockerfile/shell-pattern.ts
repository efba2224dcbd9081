// The shell patterns of `${VAR#p}`, `${VAR%p}` and `${VAR/p/r}`: `*` and `?`
// wildcards (no bracket expressions), turned into regular expressions exactly
// as BuildKit's convertShellPatternToRegex does. Suffix removal reverses both
// pattern and value so that "shortest rightmost" becomes a leftmost search.

// Go's `.` matches anything but a newline; JS's also stops at \r, U+2028, U+2029.
const ANY = "[^\\n]";
const REGEX_SPECIAL = new Set(["[", "]", "{", "}", ".", "+", "(", ")", "|", "^", "$"]);

/** Compile a shell pattern. Throws on an escape of anything but `*`, `?`, `\`. */
export function shellPatternToRegExp(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  const chars = Array.from(pattern);
  let out = anchored ? "^" : "";
  const star = greedy ? `${ANY}*` : `${ANY}*?`;
  for (let i = 0; i < chars.length; i++) {
    let tok = chars[i]!;
    if (tok === "*") {
      out += star;
      continue;
    }
    if (tok === "?") {
      out += ANY;
      continue;
    }
    if (tok === "\\") {
      // `}` and `/` are escaped only to get past ${...} syntax: not part of the pattern.
      const peek = chars[i + 1];
      if (peek === "}" || peek === "/") continue;
      out += "\\";
      tok = chars[++i] ?? "\ufffd";
      if (tok !== "*" && tok !== "?" && tok !== "\\") throw new Error(`invalid escape '\\${tok}'`);
    } else if (REGEX_SPECIAL.has(tok)) out += "\\";
    out += tok;
  }
  return new RegExp(out, "u");
}

function compile(pattern: string, greedy: boolean, anchored: boolean): RegExp {
  try {
    return shellPatternToRegExp(pattern, greedy, anchored);
  } catch (err) {
    throw new Error(`invalid pattern (${pattern}) in substitution: ${(err as Error).message}`);
  }
}

/** `${VAR#pattern}` (greedy: `##`): drop the matching prefix. */
export function trimPatternPrefix(pattern: string, value: string, greedy: boolean): string {
  const m = compile(pattern, greedy, true).exec(value);
  return m ? value.slice(m.index + m[0].length) : value;
}

/** Reverse a pattern without separating an escape from the character it escapes. */
export function reversePattern(pattern: string): string {
  const chars = Array.from(pattern);
  const out: string[] = new Array(chars.length);
  const last = chars.length - 1;
  for (let i = 0; i <= last; ) {
    const tok = chars[i]!;
    const at = last - i;
    if (tok === "\\" && i !== last) {
      out[at - 1] = tok;
      out[at] = chars[i + 1]!;
      i += 2;
    } else {
      out[at] = tok;
      i++;
    }
  }
  return out.join("");
}

function reverseString(s: string): string {
  return Array.from(s).reverse().join("");
}

/** `${VAR%pattern}` (greedy: `%%`): drop the matching suffix. */
export function trimPatternSuffix(pattern: string, value: string, greedy: boolean): string {
  return reverseString(trimPatternPrefix(reversePattern(pattern), reverseString(value), greedy));
}

/** Go's regexp template expansion with no capture groups: `$0`/`${0}` is the match, `$$` a dollar. */
function expandTemplate(template: string, match: string): string {
  if (!template.includes("$")) return template;
  let out = "";
  for (let i = 0; i < template.length; i++) {
    const c = template[i]!;
    if (c !== "$") {
      out += c;
      continue;
    }
    if (template[i + 1] === "$") {
      out += "$";
      i++;
      continue;
    }
    const brace = template[i + 1] === "{";
    let j = i + (brace ? 2 : 1);
    const start = j;
    while (j < template.length && /[\p{L}\p{N}_]/u.test(template[j]!)) j++;
    const name = template.slice(start, j);
    if (name === "" || (brace && template[j] !== "}")) {
      out += "$";
      continue;
    }
    if (name === "0") out += match;
    i = brace ? j : j - 1;
  }
  return out;
}

/**
 * `${VAR/pattern/replacement}` and `${VAR//pattern/replacement}`. The first
 * form splices the replacement in literally; the second follows Go's
 * ReplaceAllString (template expansion, and an empty match right after a
 * match is not replaced), which differs from String.prototype.replace.
 */
export function replacePattern(value: string, pattern: string, replacement: string, all: boolean): string {
  let re: RegExp;
  try {
    re = shellPatternToRegExp(pattern, true, false);
  } catch (err) {
    throw new Error(`invalid pattern (${pattern}) in substitution: ${(err as Error).message}`);
  }
  if (!all) {
    const m = re.exec(value);
    return m ? value.slice(0, m.index) + replacement + value.slice(m.index + m[0].length) : value;
  }
  const g = new RegExp(re.source, "gu");
  let out = "";
  let lastEnd = 0;
  let searchPos = 0;
  while (searchPos <= value.length) {
    g.lastIndex = searchPos;
    const m = g.exec(value);
    if (!m) break;
    const a0 = m.index;
    const a1 = a0 + m[0].length;
    out += value.slice(lastEnd, a0);
    if (a1 > lastEnd || a0 === 0) out += expandTemplate(replacement, m[0]);
    lastEnd = a1;
    const width = searchPos < value.length ? (value.codePointAt(searchPos)! > 0xffff ? 2 : 1) : 0;
    if (searchPos + width > a1) searchPos += width;
    else if (searchPos + 1 > a1) searchPos++;
    else searchPos = a1;
  }
  return out + value.slice(lastEnd);
}
