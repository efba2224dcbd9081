// Parser directives: `# syntax=`, `# escape=`, `# check=` at the very top of a
// Dockerfile. They are only recognised until the first line that is not one
// (a blank line, another comment or an instruction ends the search), each may
// appear once, and names are case-insensitive (BuildKit's DirectiveParser).
import { isGoSpace } from "./_text.ts";

/** A recognised parser directive. */
export interface Directive {
  name: "syntax" | "escape" | "check";
  value: string;
  line: number;
}

/** The escape characters BuildKit accepts. */
export type EscapeToken = "\\" | "`";

const VALID = new Set(["syntax", "escape", "check"]);
// After the leading `#` and whitespace: NAME = VALUE (Go's \s is [\t\n\f\r ]).
const DIRECTIVE_RE = /^([a-zA-Z][a-zA-Z0-9]*)[\t\n\f\r ]*=[\t\n\f\r ]*([^\n]+?)[\t\n\f\r ]*$/;

/** Line-by-line directive recogniser; feed it every line until it is done. */
export class DirectiveParser {
  private line = 0;
  private done = false;
  private readonly seen = new Set<string>();

  /**
   * The directive on this line, or undefined. Throws (a plain Error, the
   * caller adds the location) when a directive is repeated.
   */
  parseLine(text: string): Directive | undefined {
    this.line++;
    if (this.done) return undefined;
    if (!text.startsWith("#")) {
      this.done = true;
      return undefined;
    }
    let i = 1;
    while (i < text.length && isGoSpace(text.charCodeAt(i))) i++;
    const m = DIRECTIVE_RE.exec(text.slice(i));
    const name = m?.[1]?.toLowerCase();
    if (!m || !name || !VALID.has(name)) {
      this.done = true;
      return undefined;
    }
    if (this.seen.has(name)) throw new Error(`only one ${name} parser directive can be used`);
    this.seen.add(name);
    return { name: name as Directive["name"], value: m[2]!, line: this.line };
  }
}

/** Validate an `# escape=` value. */
export function parseEscapeToken(value: string): EscapeToken {
  if (value !== "`" && value !== "\\") throw new Error(`invalid escape token '${value}' does not match \` or \\`);
  return value;
}

/** What `# check=skip=A,B;error=true` asks for. */
export interface CheckDirective {
  /** Rule names to skip; `all` skips every rule. */
  skip: Set<string>;
  /** Treat rule violations as errors. */
  error: boolean;
}

/** Parse the value of a `# check=` directive (unknown keys are ignored, as BuildKit does). */
export function parseCheckDirective(value: string | undefined): CheckDirective {
  const out: CheckDirective = { skip: new Set(), error: false };
  if (!value) return out;
  for (const part of value.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    const val = part.slice(eq + 1).trim();
    if (key === "skip") {
      for (const name of val.split(",")) if (name.trim()) out.skip.add(name.trim().toLowerCase() === "all" ? "all" : name.trim());
    } else if (key === "error") out.error = val.toLowerCase() === "true";
  }
  return out;
}
