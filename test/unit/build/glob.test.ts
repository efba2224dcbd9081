import { describe, expect, test } from "bun:test";
import { hasWildcards, matchGoPattern } from "../../../src/build/glob.ts";

describe("Go filepath.Match semantics for COPY sources", () => {
  const rows: [string, string, string, boolean][] = [
    ["star in one component", "*.txt", "a.txt", true],
    ["star does not cross /", "*.txt", "dir/a.txt", false],
    ["star per component", "*/a.txt", "dir/a.txt", true],
    ["question mark is one char", "a?c", "abc", true],
    ["question mark is not /", "a?c", "a/c", false],
    ["class range", "file[0-9]", "file7", true],
    ["negated class", "file[^0-9]", "file7", false],
    ["negated class never matches /", "a[^x]b", "a/b", false],
    ["escaped star is literal", "a\\*b", "a*b", true],
    ["escaped star does not glob", "a\\*b", "axxb", false],
    ["[[] is a literal [", "[[]xyz]", "[xyz]", true],
    ["malformed class matches nothing", "a[", "a[", false],
    ["dots are literal", "a.b", "axb", false],
    ["whole path must match", "a*", "ab/c", false],
    ["a dash outside a class is literal", "subdir-*", "subdir-b", true],
    ["a dash before ?", "file-?.txt", "file-a.txt", true],
    ["an escaped dash is a literal dash", "a\\-b", "a-b", true],
    ["an escaped dash in a class is one of its characters", "x[a\\-]", "x-", true],
  ];
  for (const [name, pattern, path, want] of rows) {
    test(`${name}: ${pattern} vs ${path}`, () => expect(matchGoPattern(pattern, path)).toBe(want));
  }

  const wild: [string, boolean][] = [["a*", true], ["a?", true], ["a[b]", true], ["a\\*", false], ["plain/path", false]];
  for (const [p, want] of wild) test(`hasWildcards(${p})`, () => expect(hasWildcards(p)).toBe(want));
});
