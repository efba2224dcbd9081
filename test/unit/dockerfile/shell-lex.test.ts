import { describe, expect, test } from "bun:test";
import { DockerfileError } from "../../../src/errors.ts";
import { ShellLex, expandWord, expandWords } from "../../../src/dockerfile/index.ts";

type Row = [name: string, input: string, env: Record<string, string>, expected: string, matched: string[], unmatched: string[]];

// One row per expansion form (BuildKit's TestProcessWithMatches, extended).
const rows: Row[] = [
  ["plain word", "x", { DUMMY: "d" }, "x", [], []],
  ["$VAR", "a$FOO", { FOO: "y" }, "ay", ["FOO"], []],
  ["${VAR}", "x ${FOO}", { FOO: "y" }, "x y", ["FOO"], []],
  ["unset ${VAR} is empty", "x ${UNUSED}", {}, "x ", [], ["UNUSED"]],
  ["${VAR-w}: only unset uses w", "${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}", { FOO: "xxx", BAR: "" }, "xxx  ccc", ["FOO", "BAR"], ["BAZ"]],
  ["${VAR:-w}: unset or empty uses w", "${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}", { FOO: "xxx", BAR: "" }, "xxx bbb ccc", ["FOO", "BAR"], ["BAZ"]],
  ["${VAR+w}: set uses w", "${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}", { FOO: "xxx", BAR: "" }, "aaa bbb ", ["FOO", "BAR"], ["BAZ"]],
  ["${VAR:+w}: set and non-empty uses w", "${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}", { FOO: "xxx", BAR: "" }, "aaa  ", ["FOO", "BAR"], ["BAZ"]],
  ["${VAR?msg} set", "${FOO?aaa}", { FOO: "xxx" }, "xxx", ["FOO"], []],
  ["${VAR?msg} empty is fine", "${BAR?bbb}", { BAR: "" }, "", ["BAR"], []],
  ["${VAR:?msg} set", "${FOO:?aaa}", { FOO: "xxx" }, "xxx", ["FOO"], []],
  ["${VAR#p} shortest prefix", "${FOO#*x*y}", { FOO: "xxyy" }, "y", ["FOO"], []],
  ["${VAR#*} removes nothing", "${FOO#*}", { FOO: "xxyy" }, "xxyy", ["FOO"], []],
  ["${VAR#$P} pattern from a variable", "${FOO#$BAR}", { FOO: "xxyy", BAR: "x" }, "xyy", ["FOO", "BAR"], []],
  ["${VAR##p} longest prefix", "${FOO##*x}", { FOO: "xxyy" }, "yy", ["FOO"], []],
  ["${VAR#?\\?} escaped wildcard", "${FOO#?\\?}", { FOO: "???y" }, "?y", ["FOO"], []],
  ["${VAR#p} regex characters are literal", "${FOO#()[]{\\}^$.\\*\\?|\\\\}", { FOO: "()[]{}^$.*?|\\x" }, "x", ["FOO"], []],
  ["${VAR%p} shortest suffix", "${ABC:-.}${FOO%x}${ABC:-.}", { FOO: "xxyy" }, ".xxyy.", ["FOO"], ["ABC"]],
  ["${VAR%%p} longest suffix", "${FOO%%\\**\\*}", { FOO: "a***yy*" }, "a", ["FOO"], []],
  ["${VAR%%\\**}", "${FOO%%\\**}", { FOO: "xx**" }, "xx", ["FOO"], []],
  ["${VAR/p/r} first match", "${FOO/$NEEDLE/.}", { FOO: "/foo*/*/*.txt", NEEDLE: "\\*/" }, "/foo.*/*.txt", ["FOO", "NEEDLE"], []],
  ["${VAR//p/r} every match", "${FOO//$NEEDLE/.}", { FOO: "/foo*/*/*.txt", NEEDLE: "\\*/" }, "/foo..*.txt", ["FOO", "NEEDLE"], []],
  ["${VAR/p/r} with ? wildcard", "${FOO/$N/$R} - ${FOO//$N/$R}", { FOO: "/a/foo/b/c.txt", N: "/?/", R: "/" }, "/foo/b/c.txt - /foo/c.txt", ["FOO", "N", "R"], []],
  ["${VAR//\\//\\/} escaped separators", "${FOO//\\//\\/}", { FOO: "/tmp/foo.txt" }, "\\/tmp\\/foo.txt", ["FOO"], []],
  ["${VAR/$EMPTY/ww} inserts at the start", "${FOO/$BAR/ww}", { FOO: "xxyy", BAR: "" }, "wwxxyy", ["FOO", "BAR"], []],
  ["${VAR///} is the value", "${FOO///}", { FOO: "xxyy" }, "xxyy", ["FOO"], []],
  ["${VAR//*/x}: Go skips the empty match after a match", "${FOO//*/x}", { FOO: "ab" }, "x", ["FOO"], []],
  ["nested defaults", "${A:-${B:-${C}}}", { C: "c" }, "c", ["C"], ["A", "B"]],
  ["platform file name", "x-${V}.${OS}${VAR:+-${VAR}}.tgz", { V: "1", OS: "linux", VAR: "v7" }, "x-1.linux-v7.tgz", ["V", "OS", "VAR"], []],
  ["single quotes are literal", "'$FOO'", { FOO: "x" }, "$FOO", [], []],
  ["double quotes expand", '"a $FOO"', { FOO: "x" }, "a x", ["FOO"], []],
  ["escaped dollar", "\\$FOO", { FOO: "x" }, "$FOO", [], []],
];

describe("expandWord: every expansion form", () => {
  for (const [name, input, env, expected, matched, unmatched] of rows) {
    test(name, () => {
      const r = expandWord(input, env);
      expect(r.result).toBe(expected);
      expect([...r.matched].sort()).toEqual([...matched].sort());
      expect([...r.unmatched].sort()).toEqual([...unmatched].sort());
    });
  }
});

describe("expandWord: errors", () => {
  const errors: [string, string, Record<string, string>, string][] = [
    ["${VAR?} unset", "${BAZ?ccc}", {}, 'failed to process "${BAZ?ccc}": BAZ: ccc'],
    ["${VAR:?} empty", "${BAR:?bbb}", { BAR: "" }, "BAR: bbb"],
    ["${VAR:?} default message", "${BAZ:?}", {}, "BAZ: is not allowed to be unset"],
    ["${VAR:?} empty default message", "${BAR:?}", { BAR: "" }, "BAR: is not allowed to be empty"],
    ["message is expanded", "${VAR:?message here$ARG}", { ARG: "x" }, "VAR: message herex"],
    ["${VAR=w} is unsupported", "${FOO=aaa}", { FOO: "x" }, "unsupported modifier (=) in substitution"],
    ["${VAR:=w} is unsupported", "${FOO:=aaa}", {}, "unsupported modifier (:=) in substitution"],
    ["${} bad substitution", "${}", {}, "syntax error: bad substitution"],
    ["${ without }", "${FOO", {}, "syntax error: missing '}'"],
    ["${VAR// without /", "${FOO//ww}", { FOO: "x" }, "syntax error: missing '/' in ${}"],
    ["unterminated double quote", '"abc', {}, "unexpected end of statement while looking for matching double-quote"],
    ["unterminated single quote", "'abc", {}, "unexpected end of statement while looking for matching single-quote"],
    ["bad escape in a pattern", "${FOO#\\x}", { FOO: "a" }, "invalid pattern (\\x) in substitution: invalid escape '\\x'"],
  ];
  for (const [name, input, env, message] of errors) {
    test(name, () => {
      try {
        expandWord(input, env);
        throw new Error("no error");
      } catch (err) {
        expect(err).toBeInstanceOf(DockerfileError);
        expect((err as DockerfileError).code).toBe("E_DOCKERFILE_EXPANSION");
        expect((err as DockerfileError).message).toContain(message);
      }
    });
  }
});

describe("ShellLex options", () => {
  test("backtick as escape character", () => {
    expect(expandWord("a`$B `` \\", { B: "x" }, "`").result).toBe("a$B ` \\");
  });
  test("rawQuotes keeps quotes, skipUnsetEnv keeps unset references", () => {
    const lex = new ShellLex({ rawQuotes: true, skipUnsetEnv: true });
    expect(lex.processWord(`'a' "b" $X \${Y} \${Z:-d} \${W/p/r} $SET`, { SET: "s" })).toBe(`'a' "b" $X \${Y} \${Z:-d} \${W/p/r} s`);
  });
  test("skipProcessQuotes leaves quotes as text (heredoc bodies)", () => {
    const lex = new ShellLex({ skipProcessQuotes: true });
    expect(lex.processWord(`echo "$A" '$A'`, { A: "1" })).toBe(`echo "1" '1'`);
  });
  test("env as a record, a map or a function", () => {
    expect(expandWord("$A", { A: "r" }).result).toBe("r");
    expect(expandWord("$A", new Map([["A", "m"]])).result).toBe("m");
    expect(expandWord("$A", (n) => (n === "A" ? "f" : undefined)).result).toBe("f");
    expect(expandWord("$toString", {}).result).toBe("");
  });
  test("words split on whitespace from expansions, not from quoted text", () => {
    expect(expandWords(`a$X "b $X" c`, { X: "1  2" })).toEqual(["a1", "2", "b 1  2", "c"]);
  });
  test("<< keeps the blanks after it in the same word", () => {
    expect(expandWords("cat << EOF x", {})).toEqual(["cat", "<< EOF", "x"]);
  });
});
