// Dockerfile text → AST, with BuildKit's semantics (frontend/dockerfile/parser):
// BOM, parser directives, comments, line continuations with the escape
// character (comment lines inside a continuation are skipped, empty ones are
// skipped with a warning), per-instruction argument shapes, heredoc bodies,
// and the start/end line of every instruction. The AST is a flat array of
// nodes, not BuildKit's linked list.
import type { DockerfileError } from "../errors.ts";
import { isGoSpace, trimLeftSpace, trimSpace } from "./_text.ts";
import { type Directive, DirectiveParser, type EscapeToken, parseEscapeToken } from "./directives.ts";
import { HEREDOC_INSTRUCTIONS, type Heredoc, heredocsFromLine } from "./heredoc.ts";
import {
  type LineArgs,
  parseHealthConfig,
  parseMaybeJson,
  parseMaybeJsonToList,
  parseString,
  parseWhitespaceDelimited,
} from "./json-form.ts";
import { parseNameOrNameVal, parseNameVal } from "./line-args.ts";
import { dockerfileError, lineRange, type LineRange } from "./range.ts";
import { splitCommand } from "./split-command.ts";

/** One instruction of the AST. */
export interface Node {
  /** The keyword as written (`RUN`, `run`, `Copy`). */
  keyword: string;
  /** The keyword in lower case: what the instruction is. */
  name: string;
  /** Leading `--flag[=value]` words, quotes removed. */
  flags: string[];
  /** Arguments as BuildKit's line parsers produce them (ENV/LABEL: key, value, separator triples). */
  args: string[];
  /** Arguments came from a JSON array (exec form). */
  json: boolean;
  /** ONBUILD's trigger instruction. */
  trigger?: Node;
  /** Heredoc bodies, in the order their delimiters appear. */
  heredocs: Heredoc[];
  /** The logical line (continuations joined), BuildKit's `Original`. */
  original: string;
  startLine: number;
  endLine: number;
  /** Comment lines right above the instruction (a blank `#` line resets them). */
  comments: string[];
}

/** A non-fatal finding of the parser. */
export interface ParseWarning {
  rule: string;
  message: string;
  line: number;
  url: string;
}

export interface ParseOptions {
  /** Display name for errors (default "Dockerfile"). */
  file?: string;
  /** Collect errors here and keep going, instead of throwing the first one. */
  errors?: DockerfileError[];
}

export interface ParseResult {
  ast: Node[];
  escape: EscapeToken;
  directives: Directive[];
  warnings: ParseWarning[];
  /** The decoded text (kept for error snippets). */
  source: string;
  file: string;
}

const decoder = new TextDecoder();

/** Split keeping line endings, like BuildKit's scanLines. */
function splitLines(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  for (let i = text.indexOf("\n"); i >= 0; i = text.indexOf("\n", start)) {
    out.push(text.slice(start, i + 1));
    start = i + 1;
  }
  if (start < text.length) out.push(text.slice(start));
  return out;
}

/** Trailing "\r" and "\n" characters removed. */
function trimNewline(s: string): string {
  let end = s.length;
  while (end > 0 && (s.charCodeAt(end - 1) === 0x0a || s.charCodeAt(end - 1) === 0x0d)) end--;
  return end === s.length ? s : s.slice(0, end);
}

function isComment(s: string): boolean {
  let i = 0;
  while (i < s.length && isGoSpace(s.charCodeAt(i))) i++;
  return s.charCodeAt(i) === 0x23;
}

/**
 * A line ending in the escape character (then only blanks) continues; an
 * escaped escape (`\\`) does not. Returns the line without the marker.
 */
function trimContinuation(line: string, escape: string): [string, boolean] {
  let end = line.length;
  while (end > 0 && (line[end - 1] === " " || line[end - 1] === "\t")) end--;
  if (end === 0 || line[end - 1] !== escape) return [line, true];
  if (end >= 2 && line[end - 2] === escape) return [line, true];
  return [line.slice(0, end - 1), false];
}

function argsFor(name: string, rest: string, escape: EscapeToken): LineArgs {
  switch (name) {
    case "add":
    case "copy":
    case "volume":
      return parseMaybeJsonToList(rest);
    case "arg":
      return parseNameOrNameVal(rest, escape);
    case "cmd":
    case "entrypoint":
    case "run":
    case "shell":
      return parseMaybeJson(rest);
    case "env":
    case "label":
      return parseNameVal(rest, name.toUpperCase(), escape);
    case "expose":
    case "from":
      return parseWhitespaceDelimited(rest);
    case "healthcheck":
      return parseHealthConfig(rest);
    case "maintainer":
    case "stopsignal":
    case "user":
    case "workdir":
      return parseString(rest);
    default:
      // Unknown instructions keep one empty argument (BuildKit's parseIgnore); lowering rejects them.
      return { args: [""], json: false };
  }
}

/** Parse one joined instruction line (throws a plain Error on bad arguments). */
export function parseInstructionLine(line: string, escape: EscapeToken, comments: string[] = []): Node {
  const { keyword, flags, rest } = splitCommand(line);
  const name = keyword.toLowerCase();
  const node: Node = { keyword, name, flags, args: [], json: false, heredocs: [], original: line, startLine: 0, endLine: 0, comments };
  if (name === "onbuild") {
    if (rest !== "") node.trigger = parseInstructionLine(rest, escape);
    return node;
  }
  const { args, json } = argsFor(name, rest, escape);
  node.args = args;
  node.json = json;
  return node;
}

function canContainHeredoc(node: Node): boolean {
  const n = node.name === "onbuild" && node.trigger ? node.trigger : node;
  return HEREDOC_INSTRUCTIONS.has(n.name) && !n.json;
}

/** Parse a Dockerfile. Throws the first DockerfileError unless `opts.errors` collects them. */
export function parseDockerfile(input: string | Uint8Array, opts: ParseOptions = {}): ParseResult {
  let source = typeof input === "string" ? input : decoder.decode(input);
  const file = opts.file ?? "Dockerfile";
  const ctx = { file, source };
  const fail = (message: string, range: LineRange): void => {
    const err = dockerfileError(message, range, ctx);
    if (!opts.errors) throw err;
    opts.errors.push(err);
  };
  if (source.charCodeAt(0) === 0xfeff) source = source.slice(1);
  const lines = splitLines(source);
  const directiveParser = new DirectiveParser();
  const directives: Directive[] = [];
  const warnings: ParseWarning[] = [];
  const ast: Node[] = [];
  let escape: EscapeToken = "\\";
  let comments: string[] = [];
  let current = 0;
  let i = 0;

  // Every line still goes through the directive parser until it is done.
  const processLine = (raw: string, stripLeft: boolean, lineNo: number): [string, boolean] => {
    let token = trimNewline(raw);
    if (stripLeft) token = trimLeftSpace(token);
    let found = false;
    try {
      const d = directiveParser.parseLine(token);
      if (d) {
        if (d.name === "escape") escape = parseEscapeToken(d.value);
        directives.push(d);
        found = true;
      }
    } catch (err) {
      fail((err as Error).message, lineRange(lineNo));
    }
    return [isComment(token) ? "" : token, found];
  };

  while (i < lines.length) {
    const raw = lines[i++]!;
    if (isComment(raw)) {
      // BuildKit drops the first byte of the raw line, wherever the `#` is.
      const comment = trimSpace(raw.slice(1));
      comments = comment === "" ? [] : [...comments, comment];
    }
    const [first, isDirective] = processLine(raw, true, current + 1);
    if (isDirective) comments = comments.slice(0, -1);
    current++;
    const startLine = current;
    let [line, eol] = trimContinuation(first, escape);
    if (eol && line === "") continue;

    let hasEmptyContinuation = false;
    while (!eol && i < lines.length) {
      const next = lines[i++]!;
      const [text] = processLine(next, false, current + 1);
      current++;
      if (isComment(next)) continue; // comment lines inside a continuation are skipped
      if (trimLeftSpace(trimNewline(text)) === "") {
        hasEmptyContinuation = true;
        continue;
      }
      let part: string;
      [part, eol] = trimContinuation(text, escape);
      line += part;
    }
    if (hasEmptyContinuation) {
      warnings.push({
        rule: "NoEmptyContinuation",
        message: `Empty continuation line found in: ${line}`,
        line: current,
        url: "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/",
      });
    }

    let node: Node;
    try {
      node = parseInstructionLine(line, escape, comments);
    } catch (err) {
      fail((err as Error).message, lineRange(startLine, current));
      comments = [];
      continue;
    }
    let ok = true;
    if (canContainHeredoc(node) && line.includes("<<")) {
      let docs: Omit<Heredoc, "content">[] = [];
      try {
        docs = heredocsFromLine(line);
      } catch (err) {
        fail((err as Error).message, lineRange(startLine, current));
        ok = false;
      }
      for (const doc of docs) {
        let content = "";
        let terminated = false;
        while (i < lines.length) {
          const body = lines[i++]!;
          current++;
          let candidate = trimNewline(body);
          if (doc.chomp) candidate = candidate.replace(/^\t+/, "");
          if (candidate === doc.name) {
            terminated = true;
            break;
          }
          content += body;
        }
        if (!terminated) {
          fail("unterminated heredoc", lineRange(startLine, current));
          ok = false;
          break;
        }
        node.heredocs.push({ ...doc, content });
      }
    }
    node.startLine = startLine;
    node.endLine = current;
    if (ok) ast.push(node);
    comments = [];
  }

  if (ast.length === 0 && !(opts.errors && opts.errors.length > 0)) fail("file with no instructions", lineRange(Math.max(1, current)));
  return { ast, escape, directives, warnings, source, file };
}

/** Every node's location as a LineRange. */
export function nodeRange(node: Node): LineRange {
  return lineRange(node.startLine, node.endLine);
}
