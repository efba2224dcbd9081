// Exec form vs shell form. `CMD ["a", "b"]` is exec (JSON) form only when the
// whole rest of the line is a valid JSON array of strings; anything else that
// fails to parse is shell form and kept as one string (`CMD ["a"` included),
// except a valid JSON array holding a non-string, which is an error
// (BuildKit's parseJSON / parseMaybeJSON / parseMaybeJSONToList).
import { isGoSpace, splitTokenSpace, trimLeftSpace } from "./_text.ts";

/** Arguments as the line parsers produce them, and whether they came from JSON. */
export interface LineArgs {
  args: string[];
  json: boolean;
}

export const NOT_STRING_ARRAY = "when using JSON array syntax, arrays must be comprised of strings only";

/** The strings of a JSON array, or undefined when `rest` is not a JSON array. Throws on non-string elements. */
export function parseJsonArray(rest: string): string[] | undefined {
  const text = trimLeftSpace(rest);
  if (!text.startsWith("[")) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const out: string[] = [];
  for (const v of parsed) {
    if (typeof v !== "string") throw new Error(NOT_STRING_ARRAY);
    // Go decodes lone surrogate escapes to U+FFFD.
    out.push(v.toWellFormed());
  }
  return out;
}

/** RUN, CMD, ENTRYPOINT, SHELL: JSON array, else the whole rest as one shell-form string. */
export function parseMaybeJson(rest: string): LineArgs {
  if (rest === "") return { args: [], json: false };
  const arr = parseJsonArray(rest);
  return arr ? { args: arr, json: true } : { args: [rest], json: false };
}

/** FROM, EXPOSE: whitespace-separated words ([\t\v\f\r ] only, like BuildKit). */
export function parseWhitespaceDelimited(rest: string): LineArgs {
  return { args: rest === "" ? [] : splitTokenSpace(rest), json: false };
}

/** ADD, COPY, VOLUME: JSON array, else whitespace-separated words. */
export function parseMaybeJsonToList(rest: string): LineArgs {
  const arr = parseJsonArray(rest);
  return arr ? { args: arr, json: true } : parseWhitespaceDelimited(rest);
}

/** MAINTAINER, USER, WORKDIR, STOPSIGNAL: the rest as one argument. */
export function parseString(rest: string): LineArgs {
  return { args: rest === "" ? [] : [rest], json: false };
}

/** HEALTHCHECK: a type word (CMD, NONE, …) then a command in either form. */
export function parseHealthConfig(rest: string): LineArgs {
  let sep = 0;
  while (sep < rest.length && !isGoSpace(rest.charCodeAt(sep))) sep++;
  let next = sep;
  while (next < rest.length && isGoSpace(rest.charCodeAt(next))) next++;
  if (sep === 0) return { args: [], json: false };
  const cmd = parseMaybeJson(rest.slice(next));
  return { args: [rest.slice(0, sep), ...cmd.args], json: cmd.json };
}
