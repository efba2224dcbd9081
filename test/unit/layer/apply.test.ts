import { describe, expect, test } from "bun:test";
import { LayerError } from "../../../src/errors.ts";
import { applyLayer, diffUpperDir, encodeLayer, decompressStream } from "../../../src/layer/index.ts";
import { isRoot, skipReason, tempDir } from "../../harness.ts";
import { collect, makeTar, streamOf } from "./_tar.ts";
import { buildTree, flattenTree, type Node } from "./_tree.ts";

const noRoot = skipReason(!isRoot, "apply tests create devices, owners and trusted.* xattrs: need real root");
const cap = new Uint8Array([0, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

// Every entry type, in a layer on top of a lower that it partly deletes.
const lower: Node[] = [
  { path: "etc/motd", kind: "file", content: "old" },
  { path: "data/keep/old", kind: "file" },
  { path: "var/cache/x", kind: "file" },
];
const upper: Node[] = [
  { path: "bin/su", kind: "file", content: "su", mode: 0o4755 },
  { path: "bin/sg", kind: "file", content: "sg", mode: 0o2711, gid: 42 },
  { path: "bin/ping", kind: "file", content: "ping", xattrs: { "security.capability": cap, "user.note": "n" } },
  { path: "bin/ping2", kind: "link", target: "bin/ping" },
  { path: "tmp", kind: "dir", mode: 0o1777 },
  { path: "srv", kind: "dir", mode: 0o750, uid: 33, gid: 44 },
  { path: "srv/owned", kind: "file", content: "o", uid: 1000, gid: 100, mode: 0o640 },
  { path: "dev/null", kind: "char", major: 1, minor: 3, mode: 0o666 },
  { path: "dev/loop0", kind: "block", major: 7, minor: 0, mode: 0o660 },
  { path: "run/fifo", kind: "fifo", mode: 0o600 },
  { path: "lib/ld.so", kind: "symlink", target: "../usr/lib/ld.so" },
  { path: "etc/motd", kind: "whiteout" },
  { path: "etc/never-existed", kind: "whiteout" },
  { path: "data/keep", kind: "dir", xattrs: { "trusted.overlay.opaque": "y" } },
  { path: "data/keep/new", kind: "file", content: "new" },
  { path: "var/cache", kind: "whiteout" },
  { path: "ro", kind: "dir", mode: 0o555 },
  { path: "ro/inside", kind: "file", content: "i" },
];

describe.skipIf(noRoot)("diff → encode → apply round trip", () => {
  test("the applied snapshot equals the upper dir, with overlay whiteouts only where needed", async () => {
    using d = tempDir("roundtrip");
    buildTree(d.join("lower"), lower);
    buildTree(d.join("upper"), upper);
    const enc = encodeLayer(diffUpperDir(d.join("upper"), { lowerDirs: [d.join("lower")], xattrNamespace: "trusted" }), "gzip");
    const blob = await collect(enc.stream);
    const { diffId } = await enc.done;
    const applied = await applyLayer(decompressStream(streamOf(blob)), d.join("snap"), { xattrNamespace: "trusted" });
    expect(applied.diffId).toBe(diffId);

    const want = flattenTree(d.join("upper"), { mtime: true });
    delete want["etc/never-existed"]; // a whiteout with nothing below is dropped
    const got = flattenTree(d.join("snap"), { mtime: true });
    expect(got).toEqual(want);
    expect(got["etc/motd"]).toMatchObject({ type: "char", dev: "0:0" });
    expect(got["data/keep"]!.xattrs).toEqual({ "trusted.overlay.opaque": "79" });
    expect(got["bin/ping"]!.links).toEqual(["bin/ping", "bin/ping2"]);
  });

  test("preserveOwnership: false leaves everything owned by the caller", async () => {
    using d = tempDir("noown");
    buildTree(d.join("upper"), [{ path: "srv/owned", kind: "file", uid: 1000, gid: 100 }]);
    await applyLayer(diffUpperDir(d.join("upper"), { lowerDirs: [], xattrNamespace: "trusted" }), d.join("snap"), { xattrNamespace: "trusted", preserveOwnership: false });
    const got = flattenTree(d.join("snap"));
    expect([got["srv/owned"]!.uid, got["srv/owned"]!.gid]).toEqual([0, 0]);
  });

  test("the user namespace form: opaque dirs get user.overlay.opaque", async () => {
    using d = tempDir("userns-form");
    const tar = makeTar([
      { h: { name: "d", type: "dir", mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1 } },
      { h: { name: "d/.wh..wh..opq", type: "file", mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1 } },
      { h: { name: "d/.wh.gone", type: "file", mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1 } },
    ]);
    await applyLayer(streamOf(tar), d.join("snap"), { xattrNamespace: "user" });
    const got = flattenTree(d.join("snap"));
    expect(got.d!.xattrs).toEqual({ "user.overlay.opaque": "79" });
    expect(got["d/gone"]).toMatchObject({ type: "char", dev: "0:0" });
  });

  test("an entry replacing a different type removes the old one; dir over dir merges", async () => {
    using d = tempDir("replace");
    const h = { mode: 0o755, uid: 0, gid: 0, size: 0, mtime: 1 };
    const tar = makeTar([
      { h: { ...h, name: "x", type: "dir" } },
      { h: { ...h, name: "x/child", type: "file", size: 1 }, content: new Uint8Array([65]) },
      { h: { ...h, name: "x", type: "symlink", linkname: "elsewhere" } },
      { h: { ...h, name: "y", type: "dir" } },
      { h: { ...h, name: "y/a", type: "file" } },
      { h: { ...h, name: "y", type: "dir", mode: 0o700 } },
    ]);
    await applyLayer(streamOf(tar), d.join("snap"), { xattrNamespace: "trusted" });
    const got = flattenTree(d.join("snap"));
    expect(got.x).toMatchObject({ type: "symlink", target: "elsewhere" });
    expect(got["y/a"]).toMatchObject({ type: "file" });
    expect(got.y).toMatchObject({ type: "dir", mode: "700" });
  });

  test("a garbage stream is a LayerError", async () => {
    using d = tempDir("garbage");
    const junk = new Uint8Array(1024).fill(65);
    await expect(applyLayer(streamOf(junk), d.join("snap"), { xattrNamespace: "trusted" })).rejects.toBeInstanceOf(LayerError);
  });
});
