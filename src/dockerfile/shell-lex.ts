// Shell-word processing for Dockerfile variable expansion and word splitting,
// a faithful port of BuildKit's frontend/dockerfile/shell/lex.go: `$VAR`,
// `${VAR}`, the `:-` `-` `:+` `+` `:?` `?` `#` `##` `%` `%%` `/` `//`
// modifiers, single and double quotes, and the escape character (backslash
// or backtick). It also reports which variables were referenced and found
// (`matched`) or not (`unmatched`): the build uses that to know which build
// args an instruction depends on.
import { DockerfileError } from "../errors.ts";
import { goQuote, isGoSpace } from "./_text.ts";
import type { EscapeToken } from "./directives.ts";
import { replacePattern, trimPatternPrefix, trimPatternSuffix } from "./shell-pattern.ts";

/** Variables visible to an expansion: a map, a record, or a lookup function. */
export type Env = ReadonlyMap<string, string> | Readonly<Record<string, string>> | ((name: string) => string | undefined);

export interface ShellLexOptions {
  /** The Dockerfile's escape character (default backslash). */
  escape?: EscapeToken;
  /** Keep quote characters in the output (heredoc detection). */
  rawQuotes?: boolean;
  /** Keep escape characters in the output. */
  rawEscapes?: boolean;
  /** Treat quotes as ordinary characters (heredoc bodies). */
  skipProcessQuotes?: boolean;
  /** Leave references to unset variables as written instead of expanding them to "". */
  skipUnsetEnv?: boolean;
}

/** The outcome of processing one word. */
export interface ProcessResult {
  /** The expanded text with quotes removed (ProcessWord). */
  result: string;
  /** The text split into words after expansion (ProcessWords). */
  words: string[];
  /** Variables referenced and set. */
  matched: Set<string>;
  /** Variables referenced but not set. */
  unmatched: Set<string>;
}

const EOF = -1;
const DOLLAR = 0x24;
const LT = 0x3c;
const SQUOTE = 0x27;
const DQUOTE = 0x22;
const RBRACE = 0x7d;
const SLASH = 0x2f;

function lookupOf(env: Env): (name: string) => string | undefined {
  if (typeof env === "function") return env;
  if (env instanceof Map) return (name) => env.get(name);
  const rec = env as Readonly<Record<string, string>>;
  return (name) => (Object.hasOwn(rec, name) ? rec[name] : undefined);
}

const isDigit = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c > 0x7f && /\p{Nd}/u.test(String.fromCodePoint(c)));
const isLetter = (c: number): boolean =>
  (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || (c > 0x7f && /\p{L}/u.test(String.fromCodePoint(c)));
// POSIX special parameters ($@, $*, $#, …): never set in a Dockerfile.
const isSpecialParam = (c: number): boolean => c < 0x80 && "@*#?-$!0".includes(String.fromCharCode(c));

/** Words accumulate as the scanner goes; unquoted whitespace from expansions splits them. */
class Words {
  word = "";
  words: string[] = [];
  inWord = false;

  addChar(ch: string, c: number): void {
    if (isGoSpace(c)) {
      if (this.inWord && this.word.length !== 0) {
        this.words.push(this.word);
        this.word = "";
        this.inWord = false;
      }
    } else this.addRaw(ch);
  }

  addRaw(s: string): void {
    this.word += s;
    this.inWord = true;
  }

  addString(s: string): void {
    for (const ch of s) this.addChar(ch, ch.codePointAt(0)!);
  }

  finish(): string[] {
    if (this.word.length > 0) {
      this.words.push(this.word);
      this.word = "";
      this.inWord = false;
    }
    return this.words;
  }
}

/** One pass over one word: the state BuildKit keeps in `shellWord`. */
class WordScanner {
  private pos = 0;
  readonly matched = new Set<string>();
  readonly unmatched = new Set<string>();
  private rawEscapes: boolean;
  private readonly escape: number;

  constructor(
    private readonly src: string,
    private readonly opts: ShellLexOptions,
    private readonly lookup: (name: string) => string | undefined,
  ) {
    this.rawEscapes = opts.rawEscapes ?? false;
    this.escape = (opts.escape ?? "\\").charCodeAt(0);
    // Go's text/scanner silently drops a leading byte-order mark.
    if (src.charCodeAt(0) === 0xfeff) this.pos = 1;
  }

  private peek(): number {
    return this.pos < this.src.length ? this.src.codePointAt(this.pos)! : EOF;
  }

  private next(): number {
    if (this.pos >= this.src.length) return EOF;
    const c = this.src.codePointAt(this.pos)!;
    this.pos += c > 0xffff ? 2 : 1;
    return c;
  }

  private getEnv(name: string): [string, boolean] {
    const v = this.lookup(name);
    if (v === undefined) {
      this.unmatched.add(name);
      return ["", false];
    }
    this.matched.add(name);
    return [v, true];
  }

  /** Process up to `stop` (consumed) or the end of input; returns [result, words]. */
  processStopOn(stop: number, rawEscapes: boolean): [string, string[]] {
    const saved = this.rawEscapes;
    this.rawEscapes = rawEscapes;
    try {
      let result = "";
      const words = new Words();
      const quotes = !this.opts.skipProcessQuotes;
      for (let ch = this.peek(); ch !== EOF; ch = this.peek()) {
        if (stop !== EOF && ch === stop) {
          this.next();
          return [result, words.finish()];
        }
        if (ch === DOLLAR) {
          const tmp = this.processDollar();
          result += tmp;
          words.addString(tmp);
        } else if (ch === LT) {
          const tmp = this.processPossibleHeredoc();
          result += tmp;
          words.addRaw(tmp);
        } else if (quotes && ch === SQUOTE) {
          const tmp = this.processSingleQuote();
          result += tmp;
          words.addRaw(tmp);
        } else if (quotes && ch === DQUOTE) {
          const tmp = this.processDoubleQuote();
          result += tmp;
          words.addRaw(tmp);
        } else {
          let c = this.next();
          if (c === this.escape) {
            if (this.rawEscapes) {
              words.addRaw(String.fromCodePoint(c));
              result += String.fromCodePoint(c);
            }
            // The escape character escapes the next one, except at the end.
            c = this.next();
            if (c === EOF) break;
            words.addRaw(String.fromCodePoint(c));
          } else words.addChar(String.fromCodePoint(c), c);
          result += String.fromCodePoint(c);
        }
      }
      if (stop !== EOF) throw new Error(`unexpected end of statement while looking for matching ${String.fromCodePoint(stop)}`);
      return [result, words.finish()];
    } finally {
      this.rawEscapes = saved;
    }
  }

  /** `<<` keeps the blanks after it in its word, so `<< EOF` stays one heredoc word. */
  private processPossibleHeredoc(): string {
    this.next();
    if (this.peek() !== LT) return "<";
    this.next();
    let out = "<<";
    for (let c = this.peek(); c === 0x20 || c === 0x09 || c === 0x0d; c = this.peek()) out += String.fromCodePoint(this.next());
    return out;
  }

  private processSingleQuote(): string {
    // Everything up to the next single quote is literal; a single quote cannot be escaped.
    const raw = this.opts.rawQuotes === true;
    this.next();
    let result = raw ? "'" : "";
    for (;;) {
      const c = this.next();
      if (c === EOF) throw new Error("unexpected end of statement while looking for matching single-quote");
      if (c === SQUOTE) return raw ? `${result}'` : result;
      result += String.fromCodePoint(c);
    }
  }

  private processDoubleQuote(): string {
    // Literal except `$` expansions; the escape character quotes only `"`, `$` and itself.
    const raw = this.opts.rawQuotes === true;
    this.next();
    let result = raw ? '"' : "";
    for (;;) {
      const p = this.peek();
      if (p === EOF) throw new Error("unexpected end of statement while looking for matching double-quote");
      if (p === DQUOTE) {
        this.next();
        return raw ? `${result}"` : result;
      }
      if (p === DOLLAR) {
        result += this.processDollar();
        continue;
      }
      let c = this.next();
      if (c === this.escape) {
        if (this.rawEscapes) result += String.fromCodePoint(c);
        const q = this.peek();
        if (q === EOF) continue;
        if (q === DQUOTE || q === DOLLAR || q === this.escape) c = this.next();
      }
      result += String.fromCodePoint(c);
    }
  }

  private processName(): string {
    let name = "";
    for (let c = this.peek(); c !== EOF; c = this.peek()) {
      if (name === "" && isDigit(c)) {
        // Positional parameters: all the digits, never set.
        while (this.peek() !== EOF && isDigit(this.peek())) name += String.fromCodePoint(this.next());
        return name;
      }
      if (name === "" && isSpecialParam(c)) return String.fromCodePoint(this.next());
      if (!isLetter(c) && !isDigit(c) && c !== 0x5f) break;
      name += String.fromCodePoint(this.next());
    }
    return name;
  }

  private processDollar(): string {
    this.next();
    if (this.peek() !== 0x7b) {
      const name = this.processName();
      if (name === "") return "$";
      const [value, found] = this.getEnv(name);
      if (!found && this.opts.skipUnsetEnv) return `$${name}`;
      return value;
    }
    this.next();
    const first = this.peek();
    if (first === EOF) throw new Error("syntax error: missing '}'");
    if (first === 0x7b || first === RBRACE || first === 0x3a) throw new Error("syntax error: bad substitution");
    const name = this.processName();
    let c = this.next();
    if (c === EOF) throw new Error("syntax error: missing '}'");
    let mod = String.fromCodePoint(c);
    if (c === RBRACE) {
      const [value, set] = this.getEnv(name);
      if (!set && this.opts.skipUnsetEnv) return `\${${name}}`;
      return value;
    }
    if (c === SLASH) return this.processReplace(name);
    let nullIsUnset = false;
    if (c === 0x3a) {
      nullIsUnset = true;
      c = this.next();
      mod += c === EOF ? "\ufffd" : String.fromCodePoint(c);
    } else if (!"+-?#%".includes(mod)) throw new Error(`unsupported modifier (${mod}) in substitution`);
    const rawEscapes = c === 0x23 || c === 0x25;
    let word: string;
    try {
      [word] = this.processStopOn(RBRACE, rawEscapes);
    } catch (err) {
      if (this.peek() === EOF) throw new Error("syntax error: missing '}'");
      throw err;
    }
    const [value, set] = this.getEnv(name);
    if (this.opts.skipUnsetEnv && !set) return `\${${name}${mod}${word}}`;
    const empty = !set || (nullIsUnset && value === "");
    switch (c) {
      case 0x2d: // -
        return empty ? word : value;
      case 0x2b: // +
        return empty ? "" : word;
      case 0x3f: // ?
        if (!set) throw new Error(`${name}: ${word !== "" ? word : "is not allowed to be unset"}`);
        if (nullIsUnset && value === "") throw new Error(`${name}: ${word !== "" ? word : "is not allowed to be empty"}`);
        return value;
      case 0x25: // %
      case 0x23: {
        // # and % remove the shortest match, ## and %% the longest.
        const greedy = word.length > 0 && word.charCodeAt(0) === c;
        const pattern = greedy ? word.slice(1) : word;
        return c === 0x25 ? trimPatternSuffix(pattern, value, greedy) : trimPatternPrefix(pattern, value, greedy);
      }
      default:
        throw new Error(`unsupported modifier (${mod}) in substitution`);
    }
  }

  private processReplace(name: string): string {
    const all = this.peek() === SLASH;
    if (all) this.next();
    let pattern: string;
    let replacement: string;
    try {
      [pattern] = this.processStopOn(SLASH, true);
    } catch (err) {
      if (this.peek() === EOF) throw new Error("syntax error: missing '/' in ${}");
      throw err;
    }
    try {
      [replacement] = this.processStopOn(RBRACE, true);
    } catch (err) {
      if (this.peek() === EOF) throw new Error("syntax error: missing '}'");
      throw err;
    }
    const [value, set] = this.getEnv(name);
    if (this.opts.skipUnsetEnv && !set) return `\${${name}/${pattern}/${replacement}}`;
    return replacePattern(value, pattern, replacement, all);
  }
}

/** A configured lexer (BuildKit's shell.Lex): reuse it for every word of a Dockerfile. */
export class ShellLex {
  constructor(readonly options: ShellLexOptions = {}) {}

  /**
   * Expand `word` against `env`. Throws a DockerfileError (code
   * E_DOCKERFILE_EXPANSION, no range: the caller knows the instruction).
   */
  process(word: string, env: Env): ProcessResult {
    const sc = new WordScanner(word, this.options, lookupOf(env));
    try {
      const [result, words] = sc.processStopOn(EOF, this.options.rawEscapes ?? false);
      return { result, words, matched: sc.matched, unmatched: sc.unmatched };
    } catch (err) {
      throw new DockerfileError(`failed to process ${goQuote(word)}: ${(err as Error).message}`, undefined, {
        code: "E_DOCKERFILE_EXPANSION",
      });
    }
  }

  /** The expanded text of `word` (quotes removed, no word splitting). */
  processWord(word: string, env: Env): string {
    return this.process(word, env).result;
  }

  /** `word` expanded and split into words. */
  processWords(word: string, env: Env): string[] {
    return this.process(word, env).words;
  }
}

const lexers = new Map<string, ShellLex>();
function defaultLex(escape: EscapeToken): ShellLex {
  let lex = lexers.get(escape);
  if (!lex) lexers.set(escape, (lex = new ShellLex({ escape })));
  return lex;
}

/** Expand one word the way Dockerfile instructions are expanded (with what it referenced). */
export function expandWord(word: string, env: Env, escape: EscapeToken = "\\"): ProcessResult {
  return defaultLex(escape).process(word, env);
}

/** Expand and split into words. */
export function expandWords(word: string, env: Env, escape: EscapeToken = "\\"): string[] {
  return defaultLex(escape).process(word, env).words;
}
