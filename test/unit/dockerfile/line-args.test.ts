import { describe, expect, test } from "bun:test";
import { parseJsonArray, parseMaybeJson, parseMaybeJsonToList } from "../../../src/dockerfile/json-form.ts";
import { parseNameVal, splitWords } from "../../../src/dockerfile/line-args.ts";
import { splitCommand } from "../../../src/dockerfile/split-command.ts";

describe("splitWords keeps quotes and escapes (BuildKit TestParseWords)", () => {
  const rows: [string, string[]][] = [
    ["foo", ["foo"]],
    ["foo bar", ["foo", "bar"]],
    ["foo\\ bar", ["foo\\ bar"]],
    ["foo=bar", ["foo=bar"]],
    ["foo bar 'abc xyz'", ["foo", "bar", "'abc xyz'"]],
    ['foo bar "abc xyz"', ["foo", "bar", '"abc xyz"']],
    ["àöû", ["àöû"]],
    ['föo bàr "âbc xÿz"', ["föo", "bàr", '"âbc xÿz"']],
    ['a="" b', ['a=""', "b"]],
    ["a\\", ["a"]],
    ["🖖 x\\🖖", ["🖖", "x\\🖖"]],
  ];
  for (const [input, want] of rows) test(input, () => expect(splitWords(input, "\\")).toEqual(want));
  test("backtick escape", () => expect(splitWords("a` b c", "`")).toEqual(["a` b", "c"]));
});

describe("parseNameVal", () => {
  test("legacy form keeps the raw rest", () => expect(parseNameVal("K  a  b ", "ENV", "\\").args).toEqual(["K", "a  b ", ""]));
  test("key=value form", () => expect(parseNameVal('a=1 b="x y"', "ENV", "\\").args).toEqual(["a", "1", "=", "b", '"x y"', "="]));
});

describe("splitCommand", () => {
  const rows: [string, { keyword: string; flags: string[]; rest: string }][] = [
    ["RUN", { keyword: "RUN", flags: [], rest: "" }],
    ["  copy   a b  ", { keyword: "copy", flags: [], rest: "a b" }],
    ["COPY --from=x --chown='a b' src dst", { keyword: "COPY", flags: ["--from=x", "--chown=a b"], rest: "src dst" }],
    ["COPY --a=\\\"q\\\" x", { keyword: "COPY", flags: ['--a="q"'], rest: "x" }],
    ["COPY --flag -- --notflag", { keyword: "COPY", flags: ["--flag"], rest: "--notflag" }],
    ["COPY -x a", { keyword: "COPY", flags: [], rest: "-x a" }],
    ["RUN --network=none", { keyword: "RUN", flags: ["--network=none"], rest: "" }],
  ];
  for (const [line, want] of rows) test(line, () => expect(splitCommand(line)).toEqual(want));
});

describe("JSON (exec) form", () => {
  test("a JSON array of strings", () => expect(parseJsonArray(' ["a", "b c"] ')).toEqual(["a", "b c"]));
  test("not an array", () => expect(parseJsonArray('{"a":1}')).toBeUndefined());
  test("invalid JSON falls back to shell form", () => expect(parseMaybeJson("['a']")).toEqual({ args: ["['a']"], json: false }));
  test("a non-string element is an error", () => expect(() => parseJsonArray('["a", 1]')).toThrow("arrays must be comprised of strings only"));
  test("COPY/ADD/VOLUME fall back to whitespace words", () => expect(parseMaybeJsonToList("a  b\tc")).toEqual({ args: ["a", "b", "c"], json: false }));
  test("lone surrogate escapes become U+FFFD as in Go", () => expect(parseJsonArray('["\\ud800"]')).toEqual(["\ufffd"]));
});
