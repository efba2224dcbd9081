import { describe, expect, test } from "bun:test";
import { replacePattern, reversePattern, shellPatternToRegExp, trimPatternPrefix, trimPatternSuffix } from "../../../src/dockerfile/shell-pattern.ts";

describe("shellPatternToRegExp", () => {
  const rows: [string, string][] = [
    ["*", "^[^\\n]*"],
    ["?", "^[^\\n]"],
    ["\\*", "^\\*"],
    ["(()[]{\\}^$.\\*\\?|\\\\", "^\\(\\(\\)\\[\\]\\{\\}\\^\\$\\.\\*\\?\\|\\\\"],
  ];
  for (const [pattern, source] of rows) test(`${pattern} → ${source}`, () => expect(shellPatternToRegExp(pattern, true, true).source).toBe(source));
  for (const bad of ["\\", "\\x", "\\\\\\"]) test(`invalid: ${bad}`, () => expect(() => shellPatternToRegExp(bad, true, true)).toThrow(/invalid escape/));
});

describe("reversePattern keeps escapes with their character", () => {
  const rows: [string, string][] = [
    ["a\\*c", "c\\*a"],
    ["\\\\\\ab", "b\\a\\\\"],
    ["ab\\", "\\ba"],
    ["👽\\🚀🖖", "🖖\\🚀👽"],
    ["\\\\b", "b\\\\"],
  ];
  for (const [p, want] of rows) test(p, () => expect(reversePattern(p)).toBe(want));
});

describe("prefix, suffix, replace", () => {
  test("shortest and longest prefix", () => {
    expect(trimPatternPrefix("*/", "a/b/c", false)).toBe("b/c");
    expect(trimPatternPrefix("*/", "a/b/c", true)).toBe("c");
  });
  test("shortest and longest suffix (Go's ${platform%/*} / ${platform##*/})", () => {
    expect(trimPatternSuffix("/*", "linux/arm/v7", false)).toBe("linux/arm");
    expect(trimPatternSuffix("/*", "linux/arm/v7", true)).toBe("linux");
  });
  test("replace-all uses Go template expansion ($0 is the match, $$ a dollar)", () => {
    expect(replacePattern("ab", "a", "[$0$$]", true)).toBe("[a$]b");
    expect(replacePattern("ab", "a", "[$0]", false)).toBe("[$0]b");
  });
  test("non-BMP characters are one character for ?", () => {
    expect(trimPatternPrefix("?", "🖖x", false)).toBe("x");
  });
});
