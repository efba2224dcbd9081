// Heredocs (`RUN <<EOF`, `COPY <<-"EOT" /dest`): which words of an
// instruction open one, what the terminator is, whether the body is expanded
// (not when any part of the delimiter is quoted) and whether leading tabs are
// stripped (`<<-`). Detection runs the shell lexer twice, with and without
// raw quotes, and compares the quote counts, as BuildKit does: the only way
// to learn "was a quote used" without a second quoting grammar.
import { ShellLex } from "./shell-lex.ts";

/** A heredoc attached to an instruction. `content` is the body as written (not chomped). */
export interface Heredoc {
  /** The terminator word, quotes removed. */
  name: string;
  /** `3<<EOF` gives 3; 0 when absent. */
  fileDescriptor: number;
  /** Variables in the body are expanded (the delimiter was not quoted). */
  expand: boolean;
  /** `<<-`: leading tabs are stripped from the body and the terminator line. */
  chomp: boolean;
  /** Body lines with their line endings. */
  content: string;
}

/** Instructions whose arguments may open heredocs. */
export const HEREDOC_INSTRUCTIONS: ReadonlySet<string> = new Set(["add", "copy", "run"]);

const HEREDOC_RE = /^(\d*)<<(-?)[\t\n\f\r ]*([^<]*)$/;
const NO_ENV = (): undefined => undefined;
const cooked = new ShellLex({ skipUnsetEnv: true });
const raw = new ShellLex({ skipUnsetEnv: true, rawQuotes: true });
const lineLex = new ShellLex({ rawQuotes: true, rawEscapes: true, skipUnsetEnv: true });

function countQuotes(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x22 || c === 0x27) n++;
  }
  return n;
}

/**
 * The heredoc a single word opens (`<<EOF`, `<<-'EOF'`, `2<<EOF`), or
 * undefined when the word is not one. Throws on a malformed delimiter such
 * as `<<'EOF` (unterminated quote).
 */
export function parseHeredocWord(word: string): Omit<Heredoc, "content"> | undefined {
  const m = HEREDOC_RE.exec(word);
  if (!m) return undefined;
  const rest = m[3]!;
  if (rest === "") return undefined;
  const words = cooked.processWords(rest, NO_ENV);
  if (words.length !== 1) return undefined;
  const wordsRaw = raw.processWords(rest, NO_ENV);
  if (wordsRaw.length !== words.length) throw new Error(`internal lexing of heredoc produced inconsistent results: ${rest}`);
  const name = words[0]!;
  return {
    name,
    fileDescriptor: m[1] && m[1].length < 16 ? Number.parseInt(m[1], 10) : 0,
    expand: countQuotes(name) === countQuotes(wordsRaw[0]!),
    chomp: m[2] === "-",
  };
}

/** The heredocs an instruction line opens, in order. */
export function heredocsFromLine(line: string): Omit<Heredoc, "content">[] {
  let words: string[];
  try {
    words = lineLex.processWords(line, NO_ENV);
  } catch {
    return []; // BuildKit ignores lexing errors here: no heredocs
  }
  const out: Omit<Heredoc, "content">[] = [];
  for (const w of words) {
    const h = parseHeredocWord(w);
    if (h) out.push(h);
  }
  return out;
}

/** Strip leading tabs from every line of a `<<-` body. */
export function chompHeredoc(content: string): string {
  // Line starts are after "\n" only (Go's (?m)^), not after a lone "\r".
  return content
    .split("\n")
    .map((l) => l.replace(/^\t+/, ""))
    .join("\n");
}
