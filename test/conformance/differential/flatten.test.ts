// The flattener on hand-made layer tars: whiteouts, opaque dirs, hard links,
// replacement rules, metadata, compression sniffing.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { Readable } from "node:stream";
import { gzipSync, zstdCompressSync } from "node:zlib";
import { pack, type Header } from "tar-stream";
import { tempDir } from "../../harness.ts";
import { applyLayers, flattenLayerFiles, normalizePath, readLayer, type FsEntry } from "./flatten.ts";

type E = Partial<Header> & { name: string; body?: string };

async function tarOf(entries: E[]): Promise<Buffer> {
  const p = pack();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of p as AsyncIterable<Buffer>) chunks.push(c);
  })();
  for (const { body, ...h } of entries) {
    await new Promise<void>((res, rej) => p.entry({ mode: h.type === "directory" ? 0o755 : 0o644, ...h }, body ?? "", (e) => (e ? rej(e) : res())));
  }
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

async function flatten(layers: E[][]): Promise<Record<string, FsEntry>> {
  const read = [];
  for (const l of layers) read.push(await readLayer(Readable.from(await tarOf(l))));
  return Object.fromEntries(applyLayers(read));
}

const dir = (name: string, extra: Partial<Header> = {}): E => ({ name, type: "directory", ...extra });
const file = (name: string, body = name, extra: Partial<Header> = {}): E => ({ name, type: "file", body, ...extra });
const sha = (s: string) => `sha256:${new Bun.CryptoHasher("sha256").update(s).digest("hex")}`;

interface Row {
  name: string;
  layers: E[][];
  /** Exact list of paths expected. */
  paths?: string[];
  /** Entries checked field by field (subset). */
  entries?: Record<string, Partial<FsEntry>>;
}

const base = [dir("a/"), file("a/f"), dir("a/sub/"), file("a/sub/g"), file("top")];

const rows: Row[] = [
  { name: "a whiteout deletes a file of a lower layer", layers: [base, [file("a/.wh.f", "")]], paths: ["/a", "/a/sub", "/a/sub/g", "/top"] },
  { name: "a whiteout deletes a whole directory tree", layers: [base, [file("a/.wh.sub", "")]], paths: ["/a", "/a/f", "/top"] },
  { name: "a root-level whiteout works", layers: [base, [file(".wh.top", "")]], paths: ["/a", "/a/f", "/a/sub", "/a/sub/g"] },
  {
    name: "an opaque marker empties a lower dir but keeps its own layer's entries",
    layers: [base, [dir("a/"), file("a/new"), file("a/.wh..wh..opq", "")]],
    paths: ["/a", "/a/new", "/top"],
  },
  {
    name: "rm -rf dir && mkdir dir: opaque dir holds only the new content",
    layers: [[dir("data/"), dir("data/keep/"), file("data/keep/old")], [dir("data/keep/"), file("data/keep/.wh..wh..opq", ""), file("data/keep/new")]],
    paths: ["/data", "/data/keep", "/data/keep/new"],
  },
  { name: "a whiteout never deletes an entry of its own layer", layers: [base, [file("x"), file(".wh.x", "")]], paths: ["/a", "/a/f", "/a/sub", "/a/sub/g", "/top", "/x"] },
  { name: "a file replaces a directory and its subtree", layers: [base, [file("a", "now a file")]], paths: ["/a", "/top"], entries: { "/a": { type: "file", sha256: sha("now a file") } } },
  { name: "a directory replaces a file", layers: [base, [dir("top/"), file("top/in")]], paths: ["/a", "/a/f", "/a/sub", "/a/sub/g", "/top", "/top/in"], entries: { "/top": { type: "dir" } } },
  {
    name: "a directory over a directory keeps children and takes the new metadata",
    layers: [base, [dir("a/", { mode: 0o700, uid: 5, gid: 6 })]],
    entries: { "/a": { type: "dir", mode: 0o700, uid: 5, gid: 6 }, "/a/f": { type: "file" } },
  },
  {
    name: "hard links form one group named by its smallest path, whatever the tar order",
    layers: [[dir("bin/"), file("bin/busybox", "BB", { mode: 0o755 }), { name: "bin/[", type: "link", linkname: "bin/busybox" }, { name: "bin/ls", type: "link", linkname: "bin/busybox" }]],
    entries: {
      "/bin/busybox": { hardlink: "/bin/[", sha256: sha("BB"), mode: 0o755 },
      "/bin/[": { type: "file", hardlink: "/bin/[", sha256: sha("BB"), size: 2, mode: 0o755 },
      "/bin/ls": { hardlink: "/bin/[" },
    },
  },
  {
    name: "the same group written in the other order flattens the same",
    layers: [[dir("bin/"), file("bin/[", "BB", { mode: 0o755 }), { name: "bin/busybox", type: "link", linkname: "bin/[" }, { name: "bin/ls", type: "link", linkname: "./bin/[" }]],
    entries: { "/bin/busybox": { hardlink: "/bin/[", sha256: sha("BB"), mode: 0o755 }, "/bin/ls": { hardlink: "/bin/[" } },
  },
  {
    name: "a hard link may point into a lower layer",
    layers: [[file("f", "F")], [{ name: "g", type: "link", linkname: "f" }]],
    entries: { "/f": { hardlink: "/f" }, "/g": { hardlink: "/f", sha256: sha("F") } },
  },
  {
    name: "replacing one name of a pair leaves no group",
    layers: [[file("f", "F"), { name: "g", type: "link", linkname: "f" }], [file("g", "G")]],
    entries: { "/f": { hardlink: undefined }, "/g": { hardlink: undefined, sha256: sha("G") } },
  },
  { name: "missing parents are created 0755 root:root", layers: [[file("x/y/z", "z", { uid: 7 })]], paths: ["/x", "/x/y", "/x/y/z"], entries: { "/x/y": { type: "dir", mode: 0o755, uid: 0, gid: 0 } } },
  {
    name: "modes keep setuid, setgid and sticky bits; owners are numeric",
    layers: [[dir("tmp/", { mode: 0o1777 }), file("su", "s", { mode: 0o4755, uid: 0 }), file("g", "g", { mode: 0o2711, uid: 1000, gid: 50 })]],
    entries: { "/tmp": { mode: 0o1777 }, "/su": { mode: 0o4755 }, "/g": { mode: 0o2711, uid: 1000, gid: 50 } },
  },
  {
    name: "symlinks keep their target; devices their numbers; fifos their type",
    layers: [[{ name: "l", type: "symlink", linkname: "/etc/passwd" }, { name: "null", type: "character-device", devmajor: 1, devminor: 3 }, { name: "p", type: "fifo" }]],
    entries: { "/l": { type: "symlink", linkname: undefined, linkTarget: "/etc/passwd" } as Partial<FsEntry>, "/null": { type: "char", device: "1:3" }, "/p": { type: "fifo" } },
  },
  {
    name: "xattrs come from PAX SCHILY.xattr records",
    layers: [[file("cap", "c", { pax: { "SCHILY.xattr.security.capability": "\u0001", "SCHILY.xattr.user.k": "v" } })]],
    entries: { "/cap": { xattrs: { "security.capability": "\u0001", "user.k": "v" } } },
  },
  { name: "./ prefixes, trailing slashes and the root entry normalise away", layers: [[dir("./"), dir("./d/"), file("./d/f")]], paths: ["/d", "/d/f"] },
];

describe("flatten", () => {
  for (const row of rows) {
    test(row.name, async () => {
      const fs = await flatten(row.layers);
      if (row.paths) expect(Object.keys(fs).sort()).toEqual(row.paths);
      for (const [p, want] of Object.entries(row.entries ?? {})) {
        expect(fs[p]).toBeDefined();
        for (const [k, v] of Object.entries(want)) expect([p, k, fs[p]![k as keyof FsEntry]]).toEqual([p, k, v]);
      }
    });
  }

  test("gzip and zstd layers are recognised by their magic number", async () => {
    using tmp = tempDir("flatten");
    const plain = await tarOf([file("a", "A")]);
    const zipped = await tarOf([file("b", "B")]);
    const zst = await tarOf([file(".wh.a", ""), file("c", "C")]);
    writeFileSync(tmp.join("1.tar"), plain);
    writeFileSync(tmp.join("2.tar.gz"), gzipSync(zipped));
    writeFileSync(tmp.join("3.tar.zst"), zstdCompressSync(zst));
    const fs = await flattenLayerFiles([tmp.join("1.tar"), tmp.join("2.tar.gz"), tmp.join("3.tar.zst")]);
    expect([...fs.keys()]).toEqual(["/b", "/c"]);
  });

  test.each([
    ["./a/b/", "/a/b"],
    ["a//b", "/a/b"],
    [".", "/"],
    ["/", "/"],
  ])("normalizePath(%p) is %p", (input, want) => expect(normalizePath(input)).toBe(want));
});
