/**
 * Go's fmt verbs as Docker's classic builder uses them in history strings:
 * `CMD %q` of a []string prints `["a" "b"]`, `VOLUME %v` prints `[/a /b]`,
 * `HEALTHCHECK %q` of a *HealthConfig prints `&{["CMD-SHELL" "x"] "30s" "0s" "0s" '\x03'}`.
 * kiln writes the same strings so that `kiln history` reads like `docker history`
 * and tools that parse created_by keep working.
 */

const NAMED_ESCAPES: Record<number, string> = { 7: "\\a", 8: "\\b", 9: "\\t", 10: "\\n", 11: "\\v", 12: "\\f", 13: "\\r" };

function hex(n: number, width: number): string {
  return n.toString(16).padStart(width, "0");
}

/** strconv.IsPrint, close enough: no C0/C1 controls, no DEL, no unpaired surrogates. */
function isPrintable(cp: number): boolean {
  if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) return false;
  if (cp >= 0xd800 && cp < 0xe000) return false;
  if (cp === 0xad || cp === 0xfeff || (cp >= 0x200b && cp <= 0x200f) || (cp >= 0x2028 && cp <= 0x202e)) return false;
  return true;
}

function escapeRune(cp: number, quote: string): string {
  if (cp === quote.codePointAt(0) || cp === 0x5c) return `\\${String.fromCodePoint(cp)}`;
  if (isPrintable(cp)) return String.fromCodePoint(cp);
  const named = NAMED_ESCAPES[cp];
  if (named) return named;
  if (cp < 0x80) return `\\x${hex(cp, 2)}`;
  if (cp < 0x10000) return `\\u${hex(cp, 4)}`;
  return `\\U${hex(cp, 8)}`;
}

/** strconv.Quote: a double-quoted Go string literal. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) out += escapeRune(ch.codePointAt(0)!, '"');
  return `${out}"`;
}

/** strconv.QuoteRune: what `%q` prints for an integer (`'\x03'` for 3). */
export function goQuoteRune(n: number): string {
  return `'${escapeRune(n, "'")}'`;
}

/** `%q` of a []string: `["a" "b"]`; nil and empty both print `[]`. */
export function goQuoteSlice(xs: readonly string[] | null | undefined): string {
  return `[${(xs ?? []).map(goQuote).join(" ")}]`;
}

/** `%v` of a []string: `[a b]`. */
export function goSlice(xs: readonly string[] | null | undefined): string {
  return `[${(xs ?? []).join(" ")}]`;
}

function fraction(v: number, digits: number): string {
  const s = String(v).padStart(digits, "0").replace(/0+$/, "");
  return s === "" ? "" : `.${s}`;
}

/** time.Duration.String for a duration in nanoseconds: "0s", "1.5s", "5m0s", "1h0m0s", "500ms", "2µs". */
export function goDuration(ns: number): string {
  if (ns === 0) return "0s";
  const neg = ns < 0;
  const abs = Math.abs(ns);
  let out: string;
  if (abs < 1e3) out = `${abs}ns`;
  else if (abs < 1e6) out = `${Math.floor(abs / 1e3)}${fraction(abs % 1e3, 3)}µs`;
  else if (abs < 1e9) out = `${Math.floor(abs / 1e6)}${fraction(abs % 1e6, 6)}ms`;
  else {
    const totalSec = Math.floor(abs / 1e9);
    const sec = `${totalSec % 60}${fraction(abs % 1e9, 9)}s`;
    const min = Math.floor(totalSec / 60);
    if (min === 0) out = sec;
    else if (min < 60) out = `${min}m${sec}`;
    else out = `${Math.floor(min / 60)}h${min % 60}m${sec}`;
  }
  return neg ? `-${out}` : out;
}

/** Parse a Go duration ("30s", "1m30s", "1.5h", "100ms") into nanoseconds; undefined when invalid. */
export function parseGoDuration(s: string): number | undefined {
  if (s === "0") return 0;
  const units: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y;
  let total = 0;
  let pos = 0;
  const neg = s.startsWith("-");
  const body = s.replace(/^[-+]/, "");
  if (body === "") return undefined;
  while (pos < body.length) {
    re.lastIndex = pos;
    const m = re.exec(body);
    if (!m) return undefined;
    total += Number(m[1]) * units[m[2]!]!;
    pos = re.lastIndex;
  }
  return Math.round(neg ? -total : total);
}
