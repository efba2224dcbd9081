// Argument shapes of ENV, LABEL and ARG: quote-aware word splitting where the
// quotes and escapes are kept (they are removed later, by expansion), and the
// two ENV/LABEL spellings `KEY value` (legacy) and `KEY=value ...`. Results are
// flat lists as in BuildKit's AST: ENV/LABEL give (key, value, separator)
// triples, the separator being "=" or "" for the legacy form.
import type { EscapeToken } from "./directives.ts";
import { isGoSpace, splitTokenSpace } from "./_text.ts";
import type { LineArgs } from "./json-form.ts";

/**
 * Split on unquoted whitespace, keeping quotes and escapes in the words
 * (BuildKit's parseWords). A trailing lone escape character is dropped.
 */
export function splitWords(rest: string, escape: EscapeToken): string[] {
  const words: string[] = [];
  let word = "";
  let inWord = false;
  let quote = "";
  let blankOK = false;
  // UTF-16 units are enough: quotes, spaces and the escape are all in the BMP,
  // and a surrogate pair is copied unit by unit all the same.
  const chars = rest;
  const flush = (): void => {
    if (blankOK || word.length > 0) words.push(word);
    word = "";
    blankOK = false;
  };
  for (let i = 0; i < chars.length; i++) {
    let ch = chars[i]!;
    if (!inWord && quote === "") {
      if (isGoSpace(ch.charCodeAt(0))) continue;
      inWord = true;
    }
    if (quote === "") {
      if (isGoSpace(ch.charCodeAt(0))) {
        inWord = false;
        flush();
        continue;
      }
      if (ch === "'" || ch === '"') {
        quote = ch;
        blankOK = true;
      } else if (ch === escape) {
        if (i + 1 === chars.length) continue; // escape at end of line: dropped
        // Outside quotes the escape and the next character (even a quote) go in as they are.
        word += ch;
        ch = chars[++i]!;
      }
      word += ch;
      continue;
    }
    if (ch === quote) quote = "";
    else if (ch === escape && quote !== "'") {
      // Inside double quotes the escape keeps the next character literal; nothing escapes in single quotes.
      if (i + 1 === chars.length) {
        quote = "";
        continue;
      }
      word += ch;
      ch = chars[++i]!;
    }
    word += ch;
  }
  if (inWord || quote !== "") flush();
  return words;
}

/** ENV and LABEL. Throws (plain Error) on `ENV KEY` or a `KEY=v` list with a word lacking `=`. */
export function parseNameVal(rest: string, keyword: string, escape: EscapeToken): LineArgs {
  const words = splitWords(rest, escape);
  if (words.length === 0) return { args: [], json: false };
  if (!words[0]!.includes("=")) {
    // Legacy `KEY value with spaces`: the value is the raw rest of the line.
    const parts = splitTokenSpace(rest, 2);
    if (parts.length < 2) throw new Error(`${keyword} must have two arguments`);
    return { args: [parts[0]!, parts[1]!, ""], json: false };
  }
  const args: string[] = [];
  for (const w of words) {
    const eq = w.indexOf("=");
    if (eq < 0) throw new Error(`Syntax error - can't find = in "${w}". Must be of the form: name=value`);
    args.push(w.slice(0, eq), w.slice(eq + 1), "=");
  }
  return { args, json: false };
}

/** ARG: `NAME`, `NAME=default`, several per line. */
export function parseNameOrNameVal(rest: string, escape: EscapeToken): LineArgs {
  return { args: splitWords(rest, escape), json: false };
}
