// COPY --parents and COPY/ADD --exclude (BuildKit semantics), one real build
// per row on kiln's alpine:3.20, checked on the image's flattened
// filesystem: the Dockerfile reference's examples, `**`, --from, --chown,
// the parent dirs' modes and owners; then the cache key and errors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync } from "node:fs";
import { skipReason, type Tree } from "../harness.ts";
import { cannotBuild, cannotBuildReason, mismatches, openBuildStore, type BuildStore, type Expect } from "./build-lib.ts";

const skip = skipReason(cannotBuild, cannotBuildReason);
/** The reference's context (x/a.txt, x/{y,z}/{a,b}.txt, y/{a,b}.txt), plus src/ for --exclude. */
const FILES: Tree = {
  "x/a.txt": "xa\n", "x/y/a.txt": "xya\n", "x/y/b.txt": "xyb\n", "x/z/a.txt": "xza\n", "x/z/b.txt": "xzb\n", "y/a.txt": "ya\n", "y/b.txt": "yb\n",
  "src/keep.txt": "k\n", "src/drop.txt": "d\n", "src/main.c": "c\n", "src/lib/tmp/junk": "j\n", "src/lib/util.c": "u\n", "src/lib/notes.txt": "n\n", "src/tmp/t": "t\n",
};
/** Source dirs with modes other than 0755, so the parents' modes show. */
const modes = (d: string) => {
  chmodSync(`${d}/x`, 0o750);
  chmodSync(`${d}/x/y`, 0o711);
  chmodSync(`${d}/y`, 0o700);
};
const dir = (mode: number, uid = 0, gid = 0) => ({ type: "dir" as const, mode, uid, gid });
const file = (content: string, uid = 0) => ({ type: "file" as const, content, uid });

interface Row {
  name: string;
  dockerfile: string;
  tree?: Tree;
  expect: Expect;
}

const rows: Row[] = [
  {
    name: "reference: two files keep their paths from the context root",
    dockerfile: "COPY --parents ./x/a.txt ./y/a.txt /parents/",
    expect: { "/parents": dir(0o755), "/parents/x": dir(0o750), "/parents/x/a.txt": file("xa\n"), "/parents/y": dir(0o700), "/parents/y/a.txt": file("ya\n"), "/parents/y/b.txt": null },
  },
  {
    name: "reference: a glob keeps each match's parents",
    dockerfile: "COPY --parents x/*/a.txt /out/",
    expect: { "/out/x": dir(0o750), "/out/x/y": dir(0o711), "/out/x/z": dir(0o755), "/out/x/y/a.txt": file("xya\n"), "/out/x/z/a.txt": file("xza\n"), "/out/x/a.txt": null, "/out/x/y/b.txt": null },
  },
  {
    name: "reference: /./ is the pivot, only what follows it is kept",
    dockerfile: "COPY --parents ./x/./y/*.txt /parents/",
    expect: { "/parents/y": dir(0o711), "/parents/y/a.txt": file("xya\n"), "/parents/y/b.txt": file("xyb\n"), "/parents/x": null },
  },
  {
    name: "reference: a directory is copied as itself",
    dockerfile: "COPY --parents y /out/",
    expect: { "/out/y": dir(0o700), "/out/y/a.txt": file("ya\n"), "/out/y/b.txt": file("yb\n"), "/out/a.txt": null },
  },
  {
    name: "** matches at any depth, the root included",
    dockerfile: "COPY --parents **/package.json /app/",
    tree: { "package.json": "root\n", "a/package.json": "a\n", "a/b/package.json": "ab\n", "a/b/index.js": "js\n" },
    expect: { "/app/package.json": file("root\n"), "/app/a/package.json": file("a\n"), "/app/a/b/package.json": file("ab\n"), "/app/a/b/index.js": null },
  },
  {
    name: "--chown owns the parents and the destination too",
    dockerfile: "COPY --parents --chown=1000:1001 x/y/a.txt /own/",
    expect: { "/own": dir(0o755, 1000, 1001), "/own/x": dir(0o750, 1000, 1001), "/own/x/y": dir(0o711, 1000, 1001), "/own/x/y/a.txt": { uid: 1000, gid: 1001 } },
  },
  {
    name: "a single source into a destination without slash is still a directory",
    dockerfile: "COPY --parents x/a.txt /single",
    expect: { "/single": dir(0o755), "/single/x/a.txt": file("xa\n") },
  },
  {
    name: "--from with --parents: paths relative to the stage root, parents root-owned, a dir source keeps its owner",
    dockerfile: "RUN mkdir -p /s/p/q && chmod 701 /s/p && echo f > /s/p/q/f && chown -R 5:6 /s\nFROM alpine:3.20\nCOPY --from=0 --parents /s/./p/q/f /from/\nCOPY --from=0 --parents /s/p /whole/",
    expect: { "/from/p": dir(0o701), "/from/p/q": dir(0o755), "/from/p/q/f": { type: "file", content: "f\n", uid: 5, gid: 6 }, "/from/s": null, "/whole/s": dir(0o755), "/whole/s/p": dir(0o701, 5, 6), "/whole/s/p/q/f": { uid: 5 } },
  },
  {
    name: "reference: --exclude below a directory source (*.txt at its top, **/tmp anywhere)",
    dockerfile: "COPY --exclude=*.txt --exclude=**/tmp ./src /dst/",
    expect: { "/dst/main.c": file("c\n"), "/dst/keep.txt": null, "/dst/drop.txt": null, "/dst/lib/util.c": file("u\n"), "/dst/lib/notes.txt": file("n\n"), "/dst/lib/tmp": null, "/dst/tmp": null },
  },
  {
    name: "--exclude drops glob matches by their context path",
    dockerfile: "COPY --exclude=src/drop.txt src/*.txt /g/",
    expect: { "/g/keep.txt": file("k\n"), "/g/drop.txt": null, "/g/main.c": null },
  },
  {
    name: "--exclude with ! re-including one file",
    dockerfile: "COPY --exclude=**/*.txt --exclude=!keep.txt src /k/",
    expect: { "/k/keep.txt": file("k\n"), "/k/drop.txt": null, "/k/lib/notes.txt": null, "/k/lib/util.c": file("u\n") },
  },
  {
    name: "an excluded dir stays only to hold what ! re-includes",
    dockerfile: "COPY --exclude=lib --exclude=!lib/util.c src /r/",
    expect: { "/r/lib": { type: "dir" }, "/r/lib/util.c": file("u\n"), "/r/lib/notes.txt": null, "/r/lib/tmp": null },
  },
  {
    name: "ADD --exclude",
    dockerfile: "ADD --exclude=lib src /add/",
    expect: { "/add/main.c": file("c\n"), "/add/lib": null },
  },
  {
    name: "--parents with --exclude",
    dockerfile: "COPY --parents --exclude=**/b.txt x /p/",
    expect: { "/p/x/a.txt": file("xa\n"), "/p/x/y/a.txt": file("xya\n"), "/p/x/y/b.txt": null, "/p/x/z/b.txt": null, "/p/x/y": dir(0o711) },
  },
  {
    name: "--from with --exclude",
    dockerfile: "RUN mkdir -p /s/d && touch /s/d/a.log /s/d/b.txt /s/c.log\nFROM alpine:3.20\nCOPY --from=0 --exclude=*.log --exclude=d/*.log /s /fe/",
    expect: { "/fe/d/b.txt": { type: "file" }, "/fe/c.log": null, "/fe/d/a.log": null },
  },
];

describe.skipIf(skip)("COPY --parents and --exclude, real builds on alpine", () => {
  let store: BuildStore;
  beforeAll(async () => {
    store = await openBuildStore("copy-parents");
  }, 60_000);
  afterAll(() => store?.[Symbol.dispose]());

  for (const [i, row] of rows.entries()) {
    test(row.name, async () => {
      const tag = `parents-${i}`;
      const r = await store.build(`FROM alpine:3.20\n${row.dockerfile}\n`, { ...FILES, ...row.tree }, ["-t", tag], modes);
      if (r.exitCode !== 0) throw new Error(r.stdout + r.stderr);
      expect(mismatches(await store.files(tag), row.expect)).toEqual([]);
    }, 30_000);
  }

  test("an excluded file's change keeps the cache; another --exclude or pivot does not", async () => {
    // Each build has a fresh context dir: the key depends on what is copied, not on where it is.
    const build = async (df: string, tree: Tree = {}) => {
      const r = await store.build(`FROM alpine:3.20\n${df}\n`, { ...FILES, ...tree }, ["-t", "cached"], modes);
      if (r.exitCode !== 0) throw new Error(r.stdout + r.stderr);
      return r.stdout.includes("Using cache");
    };
    expect(await build("COPY --exclude=*.txt src /c/")).toBe(false);
    expect(await build("COPY --exclude=*.txt src /c/", { "src/drop.txt": "changed\n", "src/new.txt": "new\n" })).toBe(true);
    expect(await build("COPY --exclude=*.txt src /c/", { "src/main.c": "changed\n" })).toBe(false);
    // That re-run takes the unchanged files from the last one (step-copy-reuse.ts): still exactly the kept ones.
    expect(mismatches(await store.files("cached"), { "/c/main.c": file("changed\n"), "/c/lib/util.c": file("u\n"), "/c/drop.txt": null, "/c/new.txt": null })).toEqual([]);
    expect(await build("COPY --exclude=*.c src /c/")).toBe(false);
    expect(await build("COPY --parents x/./y/a.txt /p/")).toBe(false);
    expect(await build("COPY --parents x/y/./a.txt /p/")).toBe(false);
    expect(await build("COPY --parents x/y/./a.txt /p/")).toBe(true);
  }, 60_000);

  const failing: [string, string, RegExp][] = [
    ["several --parents sources need a destination ending in /", "COPY --parents x/a.txt y/a.txt /m", /the destination must be a directory and end with a \//],
    ["a missing --parents source", "COPY --parents x/nothere /m/", /file not found in build context/],
    ["a bad --exclude pattern", "COPY --exclude=! src /m/", /--exclude: illegal exclusion pattern/],
    ["--exclude leaving a wildcard nothing", "COPY --exclude=src/*.txt src/*.txt /m/", /no source files were specified/],
  ];
  for (const [name, line, want] of failing) {
    test(name, async () => {
      const r = await store.build(`FROM alpine:3.20\n${line}\n`, FILES);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/Dockerfile:2: /);
      expect(r.stderr).toMatch(want);
    }, 30_000);
  }
});
