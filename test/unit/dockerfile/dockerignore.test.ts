import { describe, expect, test } from "bun:test";
import { KilnError } from "../../../src/errors.ts";
import { cleanPath, DockerIgnore, dockerignoreCandidates, readDockerignore } from "../../../src/dockerfile/index.ts";

describe("readDockerignore", () => {
  test("comments, blanks, !, leading slash, cleaning", () => {
    const text = "\ufeff# comment\n\n  *.log  \n!keep.log\n/abs/path\n./x/../y/\n! spaced\n  #not-a-comment\n";
    expect(readDockerignore(text)).toEqual(["*.log", "!keep.log", "abs/path", "y", "!spaced", "#not-a-comment"]);
  });
  const clean: [string, string][] = [
    ["", "."],
    ["a//b/./c/", "a/b/c"],
    ["a/../../b", "../b"],
    ["/../a", "/a"],
    ["./", "."],
  ];
  for (const [p, want] of clean) test(`cleanPath(${JSON.stringify(p)})`, () => expect(cleanPath(p)).toBe(want));
});

// [patterns, path, ignored]
const rows: [string, string, boolean][] = [
  ["*", "file", true],
  ["*", "dir/file", true], // through the parent "dir"
  ["*.go", "a.go", true],
  ["*.go", "dir/a.go", false], // `*` does not cross `/`
  ["**/*.go", "dir/sub/a.go", true],
  ["**/*.go", "a.go", true],
  ["**", "any/thing", true],
  ["**/foo", "foo", true],
  ["**/foo", "a/b/foo", true],
  ["**/foo", "a/b/foo/bar", true],
  ["**/foo", "a/foobar", false],
  ["foo/**", "foo/x/y", true],
  ["foo/**", "foo", false],
  ["a/**/b", "a/b", true],
  ["a/**/b", "a/x/y/b", true],
  ["a/**/b", "a/x/y/c", false],
  ["dir", "dir/deep/file", true],
  ["dir", "dirty", false],
  ["dir/", "dir/x", true],
  ["/dir", "dir/x", true],
  ["a?c", "abc", true],
  ["a?c", "a/c", false],
  ["[a-c]x", "bx", true],
  ["[a-c]x", "dx", false],
  ["[^a]x", "bx", true],
  ["[^a]x", "ax", false],
  ["foo\\*bar", "foo*bar", true],
  ["foo\\*bar", "fooxbar", false],
  ["a.b", "axb", false],
  ["a+b(c)", "a+b(c)", true],
  ["*\n!keep", "keep", false],
  ["*\n!keep", "other", true],
  ["dir\n!dir/keep", "dir/keep", false],
  ["dir\n!dir/keep", "dir/keep/inner", false],
  ["dir\n!dir/keep", "dir/other", true],
  ["!dir/keep\ndir", "dir/keep", true], // the last matching pattern wins
  ["*.md\n!README*.md\nREADME-secret.md", "README-secret.md", true],
  ["*.md\n!README*.md\nREADME-secret.md", "README.md", false],
  ["node_modules\n.git", "src/node_modules/x", false],
  ["**/node_modules", "src/node_modules/x", true],
  ["é*", "été", true],
];

describe("DockerIgnore.matches", () => {
  for (const [patterns, path, ignored] of rows) {
    test(`${patterns.replaceAll("\n", " | ")} : ${path} → ${ignored ? "ignored" : "kept"}`, () => {
      expect(DockerIgnore.parse(patterns).matches(path)).toBe(ignored);
    });
  }
  test("bad patterns are errors", () => {
    for (const bad of ["[", "a[]", "[a-]", "x\\", "!"]) {
      expect(() => DockerIgnore.parse(bad)).toThrow(KilnError);
    }
  });
});

describe("DockerIgnore.matchesWithParent agrees with matches on a walk", () => {
  const patterns = ["*", "!src", "src/**/*.tmp", "!src/keep.tmp", "**/node_modules", "docs/", "!docs/public/**", "build?"].join("\n");
  const ig = DockerIgnore.parse(patterns);
  const paths = [
    "src", "src/a.ts", "src/x.tmp", "src/keep.tmp", "src/sub", "src/sub/y.tmp", "src/node_modules", "src/node_modules/m/index.js",
    "docs", "docs/a.md", "docs/public", "docs/public/i.html", "build1", "build1/out", "README.md",
  ];
  test("every path, parent results reused", () => {
    const infos = new Map<string, ReturnType<DockerIgnore["matchesWithParent"]>["info"]>();
    for (const p of paths) {
      const slash = p.lastIndexOf("/");
      const parent = slash < 0 ? undefined : infos.get(p.slice(0, slash));
      const r = ig.matchesWithParent(p, parent);
      infos.set(p, r.info);
      expect([p, r.ignored]).toEqual([p, ig.matches(p)]);
    }
  });
});

describe("DockerIgnore.canSkipDir", () => {
  const rows: [string, string, boolean][] = [
    ["node_modules", "node_modules", true],
    ["node_modules\n!node_modules/keep", "node_modules", false],
    ["node_modules\n!other/keep", "node_modules", true],
    ["*\n!**/keep", "any", false],
    ["*\n!src/*.ts", "docs", true],
    ["*\n!src/*.ts", "src", false],
    ["build", "src", false], // not ignored at all
  ];
  for (const [patterns, dir, want] of rows) {
    test(`${patterns.replaceAll("\n", " | ")} : ${dir}`, () => expect(DockerIgnore.parse(patterns).canSkipDir(dir)).toBe(want));
  }
});

describe("dockerignoreCandidates", () => {
  test("<Dockerfile>.dockerignore beside the Dockerfile, then the context's .dockerignore", () => {
    expect(dockerignoreCandidates("/p/build/Dockerfile.dev", "/p")).toEqual(["/p/build/Dockerfile.dev.dockerignore", "/p/.dockerignore"]);
    expect(dockerignoreCandidates("Dockerfile", "./")).toEqual(["Dockerfile.dockerignore", "./.dockerignore"]);
  });
});
