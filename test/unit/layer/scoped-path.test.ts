import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync } from "node:fs";
import { LayerError } from "../../../src/errors.ts";
import { normaliseEntryName, resolveInRoot } from "../../../src/layer/scoped-path.ts";
import { tempDir } from "../../harness.ts";

describe("normaliseEntryName", () => {
  const cases: { name: string; input: string; want: string }[] = [
    { name: "plain relative name", input: "etc/passwd", want: "etc/passwd" },
    { name: "leading ./ is dropped", input: "./etc/passwd", want: "etc/passwd" },
    { name: "absolute name becomes relative", input: "/etc/passwd", want: "etc/passwd" },
    { name: "directory slash is dropped", input: "etc/", want: "etc" },
    { name: "dot components vanish", input: "a/./b/.", want: "a/b" },
    { name: "inner .. is applied", input: "a/b/../c", want: "a/c" },
    { name: "doubled slashes collapse", input: "a//b", want: "a/b" },
    { name: "root itself", input: "./", want: "" },
  ];
  for (const c of cases) test(c.name, () => expect(normaliseEntryName(c.input)).toBe(c.want));

  const refused: { name: string; input: string }[] = [
    { name: "leading .. escapes", input: "../etc/passwd" },
    { name: ".. after a dir climbs out", input: "a/../../etc/passwd" },
    { name: "absolute with .. climbs out", input: "/../../etc" },
    { name: "NUL byte", input: "a\0b" },
  ];
  for (const c of refused) {
    test(`refuses: ${c.name}`, () => {
      expect(() => normaliseEntryName(c.input)).toThrow(LayerError);
    });
  }
});

describe("resolveInRoot", () => {
  // root/
  //   dir/            real directory
  //   abs -> /dir     absolute link: resolves from root
  //   rel -> dir      relative link
  //   up -> ../../..  climbs: clamps at root
  //   shadow -> /etc/shadow   points "outside": stays inside root
  //   chain1 -> chain2 -> dir
  //   loop1 <-> loop2
  //   deep/x -> ../dir
  const cases: { name: string; path: string; want: string }[] = [
    { name: "plain path", path: "dir/file", want: "dir/file" },
    { name: "absolute path is rooted", path: "/dir/file", want: "dir/file" },
    { name: ".. clamps at root", path: "../../../dir", want: "dir" },
    { name: "absolute symlink resolves from root", path: "abs/file", want: "dir/file" },
    { name: "relative symlink", path: "rel/file", want: "dir/file" },
    { name: "symlink climbing out is clamped", path: "up/etc/passwd", want: "etc/passwd" },
    { name: "absolute symlink to a host file stays inside", path: "shadow", want: "etc/shadow" },
    { name: "dir then .. then dir", path: "dir/../dir", want: "dir" },
    { name: "chain of symlinks", path: "chain1/x", want: "dir/x" },
    { name: "relative symlink in a subdir", path: "deep/x/y", want: "dir/y" },
    { name: "final symlink component is followed", path: "rel", want: "dir" },
    { name: "missing components stay lexical", path: "nope/../dir/new", want: "dir/new" },
    { name: "empty path is root", path: "", want: "" },
  ];
  test.each(cases)("$name", ({ path, want }) => {
    using root = tempDir("resolve");
    mkdirSync(root.join("dir"));
    mkdirSync(root.join("deep"));
    symlinkSync("/dir", root.join("abs"));
    symlinkSync("dir", root.join("rel"));
    symlinkSync("../../..", root.join("up"));
    // root/etc does not exist, so the lexical rest is kept under root.
    symlinkSync("/etc/shadow", root.join("shadow"));
    symlinkSync("chain2", root.join("chain1"));
    symlinkSync("dir", root.join("chain2"));
    symlinkSync("../dir", root.join("deep/x"));
    const got = resolveInRoot(root.path, path);
    expect(got).toBe(want === "" ? root.path : `${root.path}/${want}`);
  });

  const loops: { name: string; links: [string, string][]; path: string }[] = [
    { name: "two links pointing at each other", links: [["loop1", "loop2"], ["loop2", "loop1"]], path: "loop1/x" },
    { name: "a link to its own absolute path", links: [["etc", "/etc"]], path: "etc/passwd" },
    { name: "a link to itself through ..", links: [["self", "../self"]], path: "self" },
  ];
  test.each(loops)("a symlink loop is a LayerError, not a hang: $name", ({ links, path }) => {
    using root = tempDir("resolve-loop");
    for (const [from, to] of links) symlinkSync(to, root.join(from));
    expect(() => resolveInRoot(root.path, path)).toThrow(/too many levels of symbolic links/);
  });

  test("the result never leaves root whatever the links say", () => {
    using root = tempDir("resolve-fuzz");
    const targets = ["/", "..", "../..", "/..", "a/../../..", "//etc", "./../x"];
    targets.forEach((t, i) => symlinkSync(t, root.join(`l${i}`)));
    for (let i = 0; i < targets.length; i++) {
      for (const tail of ["", "x", "../x", "l0/l1/x"]) {
        const got = resolveInRoot(root.path, `l${i}/${tail}`);
        expect(got === root.path || got.startsWith(`${root.path}/`)).toBe(true);
      }
    }
  });
});
