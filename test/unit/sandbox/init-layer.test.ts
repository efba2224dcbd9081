import { describe, expect, test } from "bun:test";
import { chmodSync, lstatSync, mkdirSync, readdirSync, utimesSync } from "node:fs";
import { buildInitLayer, lookupInLowers } from "../../../src/sandbox/init-layer.ts";
import { isRoot, tempDir } from "../../harness.ts";

describe("init layer", () => {
  test("directories on the way copy the image's mode and times; stubs are created", () => {
    using t = tempDir("initlayer", { "lower/etc/passwd": "root:x:0:0::/:/bin/sh\n", "lower/proc/.keep": "" });
    chmodSync(t.join("lower/etc"), 0o750);
    utimesSync(t.join("lower/etc"), 1000, 2000);
    const skipped = buildInitLayer(t.join("init"), [t.join("lower")], [
      { path: "/proc", kind: "dir", shadow: true },
      { path: "/etc/hosts", kind: "file", shadow: true },
      { path: "/etc/resolv.conf", kind: "file", shadow: true },
    ]);
    expect(skipped).toEqual([]);
    expect(readdirSync(t.join("init")).sort()).toEqual(["etc", "proc"]);
    expect(readdirSync(t.join("init/etc")).sort()).toEqual(["hosts", "resolv.conf"]);
    const etc = lstatSync(t.join("init/etc"));
    expect(etc.mode & 0o7777).toBe(0o750);
    expect(etc.mtimeMs).toBe(2000 * 1000);
    expect(lstatSync(t.join("init/etc/hosts")).size).toBe(0);
  });

  test("a bind target under an image symlink is skipped (the init resolves it inside the root)", () => {
    using t = tempDir("initlayer", { "lower/real/.keep": "", "lower/link": { symlink: "/real" } });
    const skipped = buildInitLayer(t.join("init"), [t.join("lower")], [{ path: "/link/data", kind: "dir", shadow: false }]);
    expect(skipped.map((e) => e.path)).toEqual(["/link/data"]);
    expect(readdirSync(t.join("init"))).toEqual([]);
  });

  test("kiln's own files shadow an image symlink, as Docker's init layer does", () => {
    using t = tempDir("initlayer", { "lower/etc/resolv.conf": { symlink: "../run/resolv.conf" } });
    expect(buildInitLayer(t.join("init"), [t.join("lower")], [{ path: "/etc/resolv.conf", kind: "file", shadow: true }])).toEqual([]);
    expect(lstatSync(t.join("init/etc/resolv.conf")).isFile()).toBe(true);
  });

  test("lookup: the top-most entry decides; a file above hides a directory below", () => {
    using t = tempDir("lookup", { "top/a": "file", "bottom/a/b/.keep": "", "bottom/c/d/.keep": "", "mid/c/.keep": "" });
    const lowers = [t.join("top"), t.join("mid"), t.join("bottom")];
    expect(lookupInLowers(lowers, ["a", "b"]).map((f) => f.type)).toEqual(["other", "missing"]);
    expect(lookupInLowers(lowers, ["c", "d"]).map((f) => f.type)).toEqual(["dir", "dir"]);
    expect(lookupInLowers(lowers, ["x", "y"]).map((f) => f.type)).toEqual(["missing", "missing"]);
  });

  test.skipIf(!isRoot)("lookup: an overlay whiteout (char 0:0) hides what is below", () => {
    using t = tempDir("lookup", { "bottom/gone/.keep": "" });
    mkdirSync(t.join("top"));
    expect(Bun.spawnSync(["mknod", t.join("top/gone"), "c", "0", "0"]).exitCode).toBe(0);
    expect(lookupInLowers([t.join("top"), t.join("bottom")], ["gone"]).map((f) => f.type)).toEqual(["missing"]);
  });
});
