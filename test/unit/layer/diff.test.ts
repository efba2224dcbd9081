import { describe, expect, test } from "bun:test";
import { utimesSync } from "node:fs";
import { LayerError } from "../../../src/errors.ts";
import { diffUpperDir } from "../../../src/layer/diff.ts";
import { isRoot, skipReason, tempDir } from "../../harness.ts";
import { collect, readTar } from "./_tar.ts";
import { buildTree, type Node } from "./_tree.ts";

const noRoot = skipReason(!isRoot, "diff tests build trees with trusted.* xattrs, devices and owners: need real root");
const OPQ = { "trusted.overlay.opaque": "y" };

/** Build lowers (top-most first) and an upper dir, diff, and return the tar's entries. */
async function diffOf(lowers: Node[][], upper: Node[], sourceDateEpoch?: number, mtime?: number) {
  using d = tempDir("diff");
  const lowerDirs = lowers.map((nodes, i) => {
    buildTree(d.join(`lower${i}`), nodes);
    return d.join(`lower${i}`);
  });
  buildTree(d.join("upper"), upper, mtime);
  const tar = await collect(diffUpperDir(d.join("upper"), { lowerDirs, xattrNamespace: "trusted", sourceDateEpoch }));
  return { tar, ...(await readTar(tar)) };
}

describe.skipIf(noRoot)("diffUpperDir: whiteouts and opaque dirs", () => {
  const cases: { name: string; lowers: Node[][]; upper: Node[]; want: string[] }[] = [
    {
      name: "a whiteout of a file that exists below becomes .wh.NAME",
      lowers: [[{ path: "etc/motd", kind: "file" }]],
      upper: [{ path: "etc", kind: "dir" }, { path: "etc/motd", kind: "whiteout" }],
      want: ["etc/ dir", "etc/.wh.motd file"],
    },
    {
      name: "a whiteout of nothing below is dropped",
      lowers: [[{ path: "etc/other", kind: "file" }]],
      upper: [{ path: "etc", kind: "dir" }, { path: "etc/tmpfile", kind: "whiteout" }],
      want: ["etc/ dir"],
    },
    {
      name: "the xattr-file whiteout form counts too",
      lowers: [[{ path: "f", kind: "file" }]],
      upper: [{ path: "f", kind: "xwhiteout", ns: "trusted" }],
      want: [".wh.f file"],
    },
    {
      name: "a whiteout of a dir deleted below a top-level entry",
      lowers: [[{ path: "var/cache/apt/x", kind: "file" }]],
      upper: [{ path: "var", kind: "dir" }, { path: "var/cache", kind: "whiteout" }],
      want: ["var/ dir", "var/.wh.cache file"],
    },
    {
      name: "the file exists only in a deeper layer: still needs the whiteout",
      lowers: [[{ path: "x", kind: "file" }], [{ path: "f", kind: "file" }]],
      upper: [{ path: "f", kind: "whiteout" }],
      want: [".wh.f file"],
    },
    {
      name: "already whited out by a middle layer: no second whiteout",
      lowers: [[{ path: "f", kind: "whiteout" }], [{ path: "f", kind: "file" }]],
      upper: [{ path: "f", kind: "whiteout" }],
      want: [],
    },
    {
      name: "hidden below an opaque dir of a middle layer: dropped",
      lowers: [[{ path: "d", kind: "dir", xattrs: OPQ }], [{ path: "d/old", kind: "file" }]],
      upper: [{ path: "d", kind: "dir" }, { path: "d/old", kind: "whiteout" }],
      want: ["d/ dir"],
    },
    {
      name: "an opaque dir over a dir below gets .wh..wh..opq right after it",
      lowers: [[{ path: "data/keep/old", kind: "file" }]],
      upper: [{ path: "data/keep", kind: "dir", xattrs: OPQ }, { path: "data/keep/.a", kind: "file" }, { path: "data/keep/new", kind: "file" }],
      want: ["data/ dir", "data/keep/ dir", "data/keep/.wh..wh..opq file", "data/keep/.a file", "data/keep/new file"],
    },
    {
      name: "an opaque dir with nothing below gets no marker (kernels mark new dirs opaque)",
      lowers: [[{ path: "other", kind: "file" }]],
      upper: [{ path: "fresh", kind: "dir", xattrs: OPQ }, { path: "fresh/f", kind: "file" }],
      want: ["fresh/ dir", "fresh/f file"],
    },
    {
      name: "an opaque dir over a file below gets no marker",
      lowers: [[{ path: "thing", kind: "file" }]],
      upper: [{ path: "thing", kind: "dir", xattrs: OPQ }],
      want: ["thing/ dir"],
    },
    {
      name: "opaque=x (xwhiteouts inside) is not opaque",
      lowers: [[{ path: "d/f", kind: "file" }]],
      upper: [{ path: "d", kind: "dir", xattrs: { "trusted.overlay.opaque": "x" } }],
      want: ["d/ dir"],
    },
    {
      name: "user.overlay.* markers mean nothing in the trusted namespace, and are not emitted",
      lowers: [[{ path: "d/f", kind: "file" }]],
      upper: [{ path: "d", kind: "dir", xattrs: { "user.overlay.opaque": "y" } }],
      want: ["d/ dir"],
    },
  ];
  test.each(cases)("$name", async ({ lowers, upper, want }) => {
    const { entries } = await diffOf(lowers, upper);
    expect(entries.map((e) => `${e.name} ${e.type}`)).toEqual(want);
    for (const e of entries) expect(e.xattrs?.some(([k]) => k.includes(".overlay."))).toBe(false);
  });
});

describe.skipIf(noRoot)("diffUpperDir: entry types, order, metadata", () => {
  test("every entry type with its metadata", async () => {
    const cap = new Uint8Array([0, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    const { entries } = await diffOf([], [
      { path: "bin/su", kind: "file", content: "su", mode: 0o4755 },
      { path: "bin/ping", kind: "file", content: "ping", xattrs: { "security.capability": cap, "user.note": "n", "trusted.kiln": "t" } },
      { path: "bin/ping2", kind: "link", target: "bin/ping" },
      { path: "tmp", kind: "dir", mode: 0o1777 },
      { path: "srv", kind: "dir", mode: 0o2750, uid: 33, gid: 44 },
      { path: "srv/owned", kind: "file", uid: 1000, gid: 100, mode: 0o640 },
      { path: "dev/null", kind: "char", major: 1, minor: 3, mode: 0o666 },
      { path: "dev/loop0", kind: "block", major: 7, minor: 0, mode: 0o660 },
      { path: "run/fifo", kind: "fifo", mode: 0o600 },
      { path: "lib/ld.so", kind: "symlink", target: "../usr/lib/ld.so" },
      { path: "a-b", kind: "file" },
      { path: "a/b", kind: "file" },
    ]);
    const brief = entries.map((e) => ({ name: e.name, type: e.type, mode: e.mode.toString(8), owner: `${e.uid}:${e.gid}`, linkname: e.linkname || undefined, dev: e.type === "char" || e.type === "block" ? `${e.devmajor}:${e.devminor}` : undefined, xattrs: e.xattrs?.map(([k]) => k), content: e.content }));
    expect(brief.map((b) => b.name)).toEqual(["a/", "a/b", "a-b", "bin/", "bin/ping", "bin/ping2", "bin/su", "dev/", "dev/loop0", "dev/null", "lib/", "lib/ld.so", "run/", "run/fifo", "srv/", "srv/owned", "tmp/"]);
    const by = Object.fromEntries(brief.map((b) => [b.name, b]));
    expect(by["bin/su"]).toMatchObject({ type: "file", mode: "4755", content: "su" });
    expect(by["bin/ping"]).toMatchObject({ type: "file", xattrs: ["security.capability", "user.note"] });
    expect(entries.find((e) => e.name === "bin/ping")!.xattrs![0]![1]).toEqual(cap);
    expect(by["bin/ping2"]).toMatchObject({ type: "link", linkname: "bin/ping" });
    expect(by["tmp/"]).toMatchObject({ type: "dir", mode: "1777" });
    expect(by["srv/"]).toMatchObject({ type: "dir", mode: "2750", owner: "33:44" });
    expect(by["srv/owned"]).toMatchObject({ mode: "640", owner: "1000:100" });
    expect(by["dev/null"]).toMatchObject({ type: "char", dev: "1:3", mode: "666" });
    expect(by["dev/loop0"]).toMatchObject({ type: "block", dev: "7:0" });
    expect(by["run/fifo"]).toMatchObject({ type: "fifo", mode: "600" });
    expect(by["lib/ld.so"]).toMatchObject({ type: "symlink", linkname: "../usr/lib/ld.so" });
  });

  const refusals = [
    { name: "overlay.redirect", xattr: "trusted.overlay.redirect" },
    { name: "overlay.metacopy", xattr: "trusted.overlay.metacopy" },
    { name: "user.overlay.redirect (rootless)", xattr: "user.overlay.redirect" },
  ];
  test.each(refusals)("an upper dir holding $name is refused", async ({ xattr }) => {
    const err = await diffOf([], [{ path: "moved", kind: "dir", xattrs: { [xattr]: "/orig" } }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LayerError);
    expect((err as LayerError).message).toContain("not a complete diff");
    expect((err as LayerError).hint).toContain("redirect_dir=off");
  });

  test("SOURCE_DATE_EPOCH clamps every time: the same tree built twice gives the same digest", async () => {
    const tree: Node[] = [{ path: "a/f", kind: "file", content: "x" }, { path: "a/l", kind: "symlink", target: "f" }, { path: "b", kind: "dir" }];
    // Two builds at different times (different mtimes, inodes, ctimes).
    const one = await diffOf([], tree, 1_000_000, 1_700_000_000);
    const two = await diffOf([], tree, 1_000_000, 1_700_000_999);
    expect(one.digest).toBe(two.digest);
    expect(new Set(one.entries.map((e) => e.mtime))).toEqual(new Set([1_000_000]));
    // Without the clamp the two builds differ: the test is not vacuous.
    const three = await diffOf([], tree, undefined, 1_700_000_000);
    const four = await diffOf([], tree, undefined, 1_700_000_999);
    expect(three.digest).not.toBe(four.digest);
  });

  test("without SOURCE_DATE_EPOCH file times are kept", async () => {
    using d = tempDir("mtime");
    buildTree(d.join("u"), [{ path: "old", kind: "file" }]);
    utimesSync(d.join("u/old"), 1234, 5678);
    const { entries } = await readTar(await collect(diffUpperDir(d.join("u"), { lowerDirs: [], xattrNamespace: "trusted" })));
    expect(entries[0]!.mtime).toBe(5678);
  });

  test("a large file streams through in chunks with exact content", async () => {
    using d = tempDir("big");
    const big = new Uint8Array(3 * 1024 * 1024 + 17).map((_, i) => (i * 7) % 251);
    buildTree(d.join("u"), [{ path: "big", kind: "file" }]);
    await Bun.write(d.join("u/big"), big);
    const tar = await collect(diffUpperDir(d.join("u"), { lowerDirs: [], xattrNamespace: "trusted" }));
    expect(tar.length % 512).toBe(0);
    expect(Buffer.from(tar.subarray(512, 512 + big.length)).equals(Buffer.from(big))).toBe(true);
  });
});
