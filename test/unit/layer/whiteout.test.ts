import { describe, expect, test } from "bun:test";
import { lstatSync, mkdirSync, writeFileSync } from "node:fs";
import { getXattr, listXattrs, mknod, removeXattr, S_IFCHR, setXattr, splitDev } from "../../../src/layer/_sys.ts";
import { classifyOciName, isOpaqueDir, lowerKindAt, markOpaque, overlayWhiteoutForm, writeOverlayWhiteout } from "../../../src/layer/whiteout.ts";
import { isRoot, skipReason, tempDir } from "../../harness.ts";
import { buildTree, type Node } from "./_tree.ts";

// trusted.* xattrs need CAP_SYS_ADMIN in the initial namespace: real root.
const noRoot = skipReason(!isRoot, "layer whiteout tests with trusted.* xattrs need real root");

describe("libc bindings (bun:ffi)", () => {
  test("xattrs round-trip, binary values intact, symlinks not followed", () => {
    using d = tempDir("xattr");
    writeFileSync(d.join("f"), "x");
    const value = new Uint8Array([0, 1, 2, 255, 0x80, 0]);
    setXattr(d.join("f"), "user.bin", value);
    setXattr(d.join("f"), "user.empty", new Uint8Array(0));
    expect(listXattrs(d.join("f")).sort()).toEqual(["user.bin", "user.empty"]);
    expect(getXattr(d.join("f"), "user.bin")).toEqual(value);
    expect(getXattr(d.join("f"), "user.empty")).toEqual(new Uint8Array(0));
    expect(getXattr(d.join("f"), "user.absent")).toBeUndefined();
    removeXattr(d.join("f"), "user.bin");
    removeXattr(d.join("f"), "user.bin"); // absent is fine
    expect(listXattrs(d.join("f"))).toEqual(["user.empty"]);
  });

  test("errors carry the errno name", () => {
    using d = tempDir("xattr-err");
    expect(() => setXattr(d.join("missing"), "user.x", new Uint8Array([1]))).toThrow(expect.objectContaining({ code: "ENOENT" }));
  });

  test("mknod makes char devices with the right major:minor", () => {
    using d = tempDir("mknod");
    mknod(d.join("wh"), S_IFCHR, 0, 0);
    mknod(d.join("null"), S_IFCHR | 0o666, 1, 3);
    mknod(d.join("big"), S_IFCHR | 0o600, 300, 70000);
    expect(lstatSync(d.join("wh")).isCharacterDevice()).toBe(true);
    expect(splitDev(lstatSync(d.join("wh")).rdev)).toEqual({ major: 0, minor: 0 });
    expect(splitDev(lstatSync(d.join("null")).rdev)).toEqual({ major: 1, minor: 3 });
    expect(splitDev(lstatSync(d.join("big")).rdev)).toEqual({ major: 300, minor: 70000 });
    expect(() => mknod(d.join("wh"), S_IFCHR, 0, 0)).toThrow(expect.objectContaining({ code: "EEXIST" }));
  });
});

describe("classifyOciName", () => {
  const cases = [
    { name: "ordinary file", base: "passwd", want: undefined },
    { name: "dotfile that is not a whiteout", base: ".whatever", want: undefined },
    { name: "whiteout of a file", base: ".wh.passwd", want: { kind: "whiteout", name: "passwd" } },
    { name: "whiteout of a dotfile", base: ".wh..bashrc", want: { kind: "whiteout", name: ".bashrc" } },
    { name: "opaque marker", base: ".wh..wh..opq", want: { kind: "opaque" } },
    { name: "reserved AUFS metadata", base: ".wh..wh.plnk", want: { kind: "reserved" } },
    { name: "empty whiteout name", base: ".wh.", want: { kind: "whiteout", name: "" } },
  ];
  test.each(cases)("$name", ({ base, want }) => expect(classifyOciName(base)).toEqual(want as never));
});

describe.skipIf(noRoot)("overlay forms", () => {
  test("char 0:0 and the xattr file are whiteouts; other devices and files are not", () => {
    using d = tempDir("forms");
    buildTree(d.path, [
      { path: "wh", kind: "whiteout" },
      { path: "xwh", kind: "xwhiteout", ns: "trusted" },
      { path: "uxwh", kind: "xwhiteout", ns: "user" },
      { path: "null", kind: "char", major: 1, minor: 3 },
      { path: "empty", kind: "file" },
    ]);
    const form = (n: string, ns: "trusted" | "user") => overlayWhiteoutForm(d.join(n), lstatSync(d.join(n)), ns);
    expect(form("wh", "trusted")).toBe("char-device");
    expect(form("wh", "user")).toBe("char-device");
    expect(form("xwh", "trusted")).toBe("xattr-file");
    expect(form("xwh", "user")).toBeUndefined();
    expect(form("uxwh", "user")).toBe("xattr-file");
    expect(form("null", "trusted")).toBeUndefined();
    expect(form("empty", "trusted")).toBeUndefined();
  });

  test("opaque means y; x only announces xwhiteouts", () => {
    using d = tempDir("opaque");
    for (const n of ["y", "x", "none"]) mkdirSync(d.join(n));
    markOpaque(d.join("y"), "trusted");
    setXattr(d.join("x"), "trusted.overlay.opaque", new TextEncoder().encode("x"));
    expect(isOpaqueDir(d.join("y"), "trusted")).toBe(true);
    expect(isOpaqueDir(d.join("y"), "user")).toBe(false);
    expect(isOpaqueDir(d.join("x"), "trusted")).toBe(false);
    expect(isOpaqueDir(d.join("none"), "trusted")).toBe(false);
  });

  test("writeOverlayWhiteout makes a char 0:0 device", () => {
    using d = tempDir("write-wh");
    expect(writeOverlayWhiteout(d.join("gone"), "trusted")).toBe("char-device");
    expect(overlayWhiteoutForm(d.join("gone"), lstatSync(d.join("gone")), "trusted")).toBe("char-device");
  });
});

describe.skipIf(noRoot)("lowerKindAt: what the lower dirs show at a path", () => {
  // Three lower dirs, top-most first (l0 over l1 over l2).
  const layers: Node[][] = [
    [
      { path: "gone", kind: "whiteout" },
      { path: "opq", kind: "dir", xattrs: { "trusted.overlay.opaque": "y" } },
      { path: "opq/new", kind: "file" },
      { path: "filedir", kind: "file" },
      { path: "xgone", kind: "xwhiteout", ns: "trusted" },
    ],
    [
      { path: "mid", kind: "file" },
      { path: "gone", kind: "file" },
      { path: "a/b", kind: "dir" },
    ],
    [
      { path: "deep", kind: "dir" },
      { path: "deep/f", kind: "file" },
      { path: "opq/old", kind: "file" },
      { path: "filedir/child", kind: "file" },
      { path: "gone/x", kind: "file" },
      { path: "xgone", kind: "file" },
    ],
  ];
  const cases = [
    { name: "file in the middle layer", rel: "mid", want: "other" },
    { name: "dir in the deepest layer", rel: "deep", want: "dir" },
    { name: "file in the deepest layer", rel: "deep/f", want: "other" },
    { name: "nothing anywhere", rel: "nope", want: undefined },
    { name: "whited out above", rel: "gone", want: undefined },
    { name: "child of a whited-out path", rel: "gone/x", want: undefined },
    { name: "xattr whiteout hides the deeper file", rel: "xgone", want: undefined },
    { name: "the opaque dir itself exists", rel: "opq", want: "dir" },
    { name: "content in the opaque dir's own layer", rel: "opq/new", want: "other" },
    { name: "content under an opaque dir in a deeper layer is hidden", rel: "opq/old", want: undefined },
    { name: "a file above hides a deeper dir's children", rel: "filedir/child", want: undefined },
    { name: "nested dir", rel: "a/b", want: "dir" },
  ];
  test.each(cases)("$name", ({ rel, want }) => {
    using d = tempDir("lower");
    const dirs = layers.map((nodes, i) => {
      buildTree(d.join(`l${i}`), nodes);
      return d.join(`l${i}`);
    });
    expect(lowerKindAt(rel, dirs, "trusted")).toBe(want as never);
  });
});
