// COPY --parents and --exclude: the pure path mapping and pattern matching
// (copy-select.ts, glob.ts's `**`), then planning on a real context
// directory (copy-plan.ts): where items go, what is left out, and the hashes.
import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, writeFileSync } from "node:fs";
import { BuildDb } from "../../../src/build/build-db.ts";
import { BuildContext } from "../../../src/build/context.ts";
import { copiedItems, planSources } from "../../../src/build/copy-plan.ts";
import { ExcludeFilter, parentsPlacement, splitPivot } from "../../../src/build/copy-select.ts";
import { matchGoPattern } from "../../../src/build/glob.ts";
import { HashCache } from "../../../src/build/hash-cache.ts";
import { tempDir } from "../../harness.ts";

describe("--parents: source path (+ pivot) → pivot dir and path kept below the destination", () => {
  // [name, source as cleaned (no leading ./), the path a glob matched (or the source), want pivot, want kept]
  const rows: [string, string, string, string, string][] = [
    ["a plain file keeps its whole path", "x/a.txt", "x/a.txt", "", "x/a.txt"],
    ["a top-level file keeps its name", "a.txt", "a.txt", "", "a.txt"],
    ["/./ marks the pivot", "x/./y/a.txt", "x/y/a.txt", "x", "y/a.txt"],
    ["a glob after the pivot", "x/./y/*.txt", "x/y/b.txt", "x", "y/b.txt"],
    ["a deeper pivot", "a/b/./c/d", "a/b/c/d", "a/b", "c/d"],
    ["a glob before the pivot counts its segments", "*/./y/a.txt", "x/y/a.txt", "x", "y/a.txt"],
    ["only the first /./ is the pivot", "a/./b/./c", "a/b/c", "a", "b/c"],
    ["a directory source", "y", "y", "", "y"],
    ["the pivot itself: nothing kept", "x/./", "x", "x", ""],
    ["dots and double slashes are cleaned", "x//y/../y/./a.txt", "x/y/a.txt", "x/y", "a.txt"],
    ["a pivot .. climbs out of is no pivot", "x/./../y/a", "y/a", "", "y/a"],
  ];
  for (const [name, src, matched, pivot, kept] of rows) {
    test(`${name}: ${src}`, () => {
      const split = splitPivot(src);
      expect(matchGoPattern(split.path, matched, { doubleStar: true })).toBe(true);
      expect(parentsPlacement(matched, split.depth)).toEqual({ pivot, kept });
    });
  }
});

describe("** in --parents globs spans directories (none included)", () => {
  const rows: [string, string, boolean][] = [
    ["**/package.json", "package.json", true],
    ["**/package.json", "a/b/package.json", true],
    ["**/package.json", "a/package.json.bak", false],
    ["src/**/*.ts", "src/a.ts", true],
    ["src/**/*.ts", "src/x/y/a.ts", true],
    ["src/**/*.ts", "lib/a.ts", false],
    ["src/**", "src/x/y", true],
    ["a**b", "a/x/b", false], // not a whole segment: Go's `*` twice
  ];
  for (const [pattern, path, want] of rows) test(`${pattern} vs ${path}`, () => expect(matchGoPattern(pattern, path, { doubleStar: true })).toBe(want));
  test("without --parents ** is Go's * twice", () => expect(matchGoPattern("**/package.json", "a/b/package.json")).toBe(false));
});

describe("--exclude patterns (.dockerignore syntax)", () => {
  const rows: [string, string[], string, boolean][] = [
    ["* matches one level", ["*.txt"], "a.txt", true],
    ["* does not reach into dirs", ["*.txt"], "sub/a.txt", false],
    ["** reaches any depth", ["**/*.txt"], "sub/deep/a.txt", true],
    ["a matched dir excludes what is below it", ["tmp"], "tmp/x/y", true],
    ["**/tmp anywhere", ["**/tmp"], "a/b/tmp/f", true],
    ["? is one character", ["file?"], "file1", true],
    ["a class", ["[ab].md"], "b.md", true],
    ["! re-includes", ["*.txt", "!keep.txt"], "keep.txt", false],
    ["the last match wins", ["!keep.txt", "*.txt"], "keep.txt", true],
    ["an unmatched path stays", ["*.txt"], "a.md", false],
    ["a leading ./ is cleaned", ["./a.txt"], "a.txt", true],
  ];
  for (const [name, patterns, path, want] of rows) test(`${name}: ${patterns.join(" ")} vs ${path}`, () => expect(new ExcludeFilter(patterns).excludes(path)).toBe(want));

  test("an excluded dir stays when a re-included path is below it", () => {
    const f = new ExcludeFilter(["sub", "!sub/keep"]);
    expect(f.keep(["", "a", "sub", "sub/drop", "sub/keep"], (x) => x)).toEqual(["", "a", "sub", "sub/keep"]);
  });
  test("a bad pattern is a build error naming --exclude", () => expect(() => new ExcludeFilter(["!"])).toThrow(/--exclude/));
});

describe("planning --parents and --exclude on a real context", () => {
  const ctx = tempDir("copysel", { "x/a.txt": "xa", "x/y/a.txt": "xya", "x/y/b.txt": "xyb", "x/tmp/t": "t", "top.md": "m" });
  chmodSync(ctx.join("x"), 0o750);
  chmodSync(ctx.join("x/y"), 0o711);
  afterAll(() => ctx[Symbol.dispose]());
  const open = () => new BuildContext(ctx.path, undefined, new HashCache(new BuildDb(undefined)));
  const plan = (sources: string[], select: { parents?: boolean; exclude?: string[] }) => planSources(open(), sources, "COPY", select);

  test("a file with --parents goes into its parent dirs, made with their modes after it", () => {
    const [p] = plan(["x/y/a.txt"], { parents: true });
    const items = copiedItems(p!);
    expect(items.map((i) => [i.item.kind, i.at])).toEqual([["file", "x/y"], ["dir", null]]);
    expect(items[1]!.item.entries!.map((e) => [e.rel, e.perm])).toEqual([["x", 0o750], ["x/y", 0o711]]);
  });
  test("a directory with --parents is copied as itself", () => {
    const [p] = plan(["x/./y"], { parents: true });
    expect(p!.at).toBe("y");
    expect(p!.parents!.entries!.map((e) => e.rel)).toEqual(["y"]);
    expect(p!.item.entries!.map((e) => e.rel)).toEqual(["a.txt", "b.txt"]);
  });
  test("--parents hashes the path kept below the pivot", () => {
    const plain = plan(["x/y/a.txt"], {})[0]!.hash;
    const whole = plan(["x/y/a.txt"], { parents: true })[0]!.hash;
    const pivoted = plan(["x/./y/a.txt"], { parents: true })[0]!.hash;
    expect(new Set([plain, whole, pivoted]).size).toBe(3);
    expect(plan(["x/./y/a.txt"], { parents: true })[0]!.hash).toBe(pivoted);
  });
  test("--exclude leaves paths below a dir source out of the copy and of its hash", () => {
    const [p] = plan(["x"], { exclude: ["**/b.txt", "tmp"] });
    expect(p!.item.entries!.map((e) => e.rel)).toEqual(["a.txt", "y", "y/a.txt"]);
    const before = p!.hash;
    writeFileSync(ctx.join("x/y/b.txt"), "changed");
    writeFileSync(ctx.join("x/tmp/t"), "changed");
    expect(plan(["x"], { exclude: ["**/b.txt", "tmp"] })[0]!.hash).toBe(before);
    expect(plan(["x"], {})[0]!.hash).not.toBe(before);
  });
  test("--exclude drops wildcard matches by their context path", () => {
    expect(plan(["x/y/*"], { exclude: ["x/y/b.txt"] }).map((p) => p.rel)).toEqual(["x/y/a.txt"]);
    expect(plan(["*"], { exclude: ["x"] }).map((p) => p.rel)).toEqual(["top.md"]);
  });
  test("** with --parents and --exclude together", () => {
    expect(plan(["**/a.txt"], { parents: true, exclude: ["x/y"] }).map((p) => [p.rel, p.at])).toEqual([["x/a.txt", "x"]]);
  });
});
