// One logical line → keyword, leading `--flags`, and the rest. Flags are the
// words right after the keyword that start with `--`; quotes and backslashes
// inside them are removed here (`--from="a b"` → `--from=a b`), and a lone
// `--` ends them (BuildKit's splitCommand / extractBuilderFlags).
import { isGoSpace, isTokenSpace, trimSpace } from "./_text.ts";

export interface SplitCommand {
  /** The keyword as written. */
  keyword: string;
  flags: string[];
  /** Everything after the flags, trimmed. */
  rest: string;
}

/** Split a joined instruction line. */
export function splitCommand(line: string): SplitCommand {
  const t = trimSpace(line);
  let i = 0;
  while (i < t.length && !isTokenSpace(t.charCodeAt(i))) i++;
  const keyword = t.slice(0, i);
  if (i === t.length) return { keyword, flags: [], rest: "" };
  while (i < t.length && isTokenSpace(t.charCodeAt(i))) i++;
  const { rest, flags } = extractFlags(t.slice(i));
  return { keyword, flags, rest: trimSpace(rest) };
}

/** Leading `--name[=value]` words of `line`, and what follows them. */
export function extractFlags(line: string): { rest: string; flags: string[] } {
  const flags: string[] = [];
  let word = "";
  let blankOK = false;
  let inWord = false;
  let quote = "";
  for (let pos = 0; pos <= line.length; pos++) {
    const atEnd = pos === line.length;
    let ch = atEnd ? "" : line[pos]!;
    if (!inWord) {
      if (atEnd) break;
      if (isGoSpace(ch.charCodeAt(0))) continue;
      // Only words starting with "--" are flags; the first other word starts the arguments.
      if (ch !== "-" || line[pos + 1] !== "-") return { rest: line.slice(pos), flags };
      inWord = true;
    }
    if (atEnd) {
      if (word !== "--" && (blankOK || word.length > 0)) flags.push(word);
      break;
    }
    if (quote === "") {
      if (isGoSpace(ch.charCodeAt(0))) {
        inWord = false;
        if (word === "--") return { rest: line.slice(pos), flags };
        if (blankOK || word.length > 0) flags.push(word);
        word = "";
        blankOK = false;
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
        continue;
      }
      if (ch === "\\") {
        if (pos + 1 === line.length) continue; // a trailing backslash is dropped
        ch = line[++pos]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) {
      quote = "";
      continue;
    }
    if (ch === "\\") {
      if (pos + 1 === line.length) {
        quote = "";
        continue;
      }
      ch = line[++pos]!;
    }
    word += ch;
  }
  return { rest: "", flags };
}
