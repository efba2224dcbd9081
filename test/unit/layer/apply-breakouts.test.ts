// Every tar is hostile (STYLE.md P6). A named breakout table in the spirit of
// containerd's pkg/archive TestBreakouts: each crafted tar is either refused
// with a LayerError or contained — and in every case nothing outside the
// target dir is created, changed or removed.
import { describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { LayerError } from "../../../src/errors.ts";
import { applyLayer } from "../../../src/layer/index.ts";
import { listXattrs } from "../../../src/layer/_sys.ts";
import type { TarHeader } from "../../../src/layer/tar-format.ts";
import { isRoot, skipReason, tempDir } from "../../harness.ts";
import { makeTar, paxRecord, rawEntry, streamOf } from "./_tar.ts";

const noRoot = skipReason(!isRoot, "breakout tests set trusted.* xattrs: need real root");
const enc = new TextEncoder();
const h = (name: string, type: TarHeader["type"], more: Partial<TarHeader> = {}): TarHeader => ({ name, type, mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1, ...more });
const file = (name: string, content = "pwned") => ({ h: h(name, "file", { size: content.length }), content: enc.encode(content) });
const END = new Uint8Array(1024);

/** Snapshot of a directory: path → type and content, to prove it did not change. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (p: string, rel: string) => {
    for (const n of readdirSync(p).sort()) {
      const abs = join(p, n);
      const st = lstatSync(abs);
      out[`${rel}${n}`] = st.isDirectory() ? `dir ${listXattrs(abs).join(",")}` : st.isFile() ? `file ${readFileSync(abs, "utf8")}` : `other ${st.mode}`;
      if (st.isDirectory()) walk(abs, `${rel}${n}/`);
    }
  };
  walk(dir, "");
  return out;
}

interface Case {
  name: string;
  /** The tar, given the absolute path of the dir outside the target that it tries to reach. */
  tar: (outside: string) => Uint8Array;
  /** "refused": applyLayer throws a LayerError. "contained": it succeeds, and `check` verifies where things went. */
  want: "refused" | "contained";
  error?: RegExp;
  check?: (target: string, outside: string) => void;
}

const cases: Case[] = [
  { name: "relative traversal ../", tar: () => makeTar([file("../outside/pwned")]), want: "refused", error: /climbs above the layer root/ },
  { name: "traversal hidden after a dir a/../../", tar: () => makeTar([file("a/../../outside/pwned")]), want: "refused" },
  {
    name: "absolute path is rooted in the target",
    tar: (o) => makeTar([file(`${o}/pwned`)]),
    want: "contained",
    check: (t, o) => expect(readFileSync(join(t, o, "pwned"), "utf8")).toBe("pwned"),
  },
  {
    name: "symlink to an absolute outside dir, then a file through it",
    tar: (o) => makeTar([{ h: h("evil", "symlink", { linkname: o }) }, file("evil/pwned")]),
    want: "contained",
    check: (t, o) => expect(existsSync(join(t, o, "pwned"))).toBe(true),
  },
  {
    name: "relative symlink climbing out, then a file through it",
    tar: (o) => makeTar([{ h: h("up", "symlink", { linkname: "../../../../../../../.." }) }, file(`up${o}/pwned`)]),
    want: "contained",
    check: (t, o) => expect(existsSync(join(t, o, "pwned"))).toBe(true),
  },
  {
    name: "symlink chain ending outside",
    tar: (o) => makeTar([{ h: h("a", "symlink", { linkname: "b" }) }, { h: h("b", "symlink", { linkname: `${o}/..` }) }, file("a/outside/pwned")]),
    want: "contained",
  },
  {
    name: "file entry over a symlink to an outside file replaces the link",
    tar: (o) => makeTar([{ h: h("f", "symlink", { linkname: `${o}/sentinel` }) }, file("f", "overwritten?")]),
    want: "contained",
    check: (t) => expect(lstatSync(join(t, "f")).isFile()).toBe(true),
  },
  {
    name: "directory entry over a symlink to an outside dir replaces the link",
    tar: (o) => makeTar([{ h: h("d", "symlink", { linkname: o }) }, { h: h("d", "dir", { mode: 0o777 }) }, file("d/pwned")]),
    want: "contained",
    check: (t) => expect(lstatSync(join(t, "d")).isDirectory()).toBe(true),
  },
  { name: "hard link to an absolute outside file", tar: (o) => makeTar([{ h: h("hl", "link", { linkname: `${o}/sentinel` }) }]), want: "refused", error: /not in the layer/ },
  { name: "hard link with ../ to an outside file", tar: () => makeTar([{ h: h("hl", "link", { linkname: "../outside/sentinel" }) }]), want: "refused" },
  {
    name: "hard link through a symlinked dir to an outside file",
    tar: (o) => makeTar([{ h: h("s", "symlink", { linkname: o }) }, { h: h("hl", "link", { linkname: "s/sentinel" }) }]),
    want: "refused",
  },
  {
    name: "write through a hard link does not change the linked file",
    tar: () => makeTar([file("inside", "original"), { h: h("hl", "link", { linkname: "inside" }) }, file("hl", "changed")]),
    want: "contained",
    check: (t) => expect(readFileSync(join(t, "inside"), "utf8")).toBe("original"),
  },
  { name: "hard link to a directory", tar: () => makeTar([{ h: h("d", "dir") }, { h: h("hl", "link", { linkname: "d" }) }]), want: "refused" },
  { name: "symlink loop in a parent path", tar: () => makeTar([{ h: h("a", "symlink", { linkname: "b" }) }, { h: h("b", "symlink", { linkname: "a" }) }, file("a/x")]), want: "refused", error: /too many levels/ },
  { name: "whiteout of '..' (.wh...)", tar: () => makeTar([{ h: h("d/.wh...", "file") }]), want: "refused", error: /whiteout must name a file/ },
  { name: "whiteout of '.' (.wh..)", tar: () => makeTar([{ h: h("d/.wh..", "file") }]), want: "refused" },
  { name: "whiteout with an empty name (.wh.)", tar: () => makeTar([{ h: h(".wh.", "file") }]), want: "refused" },
  { name: "whiteout named with ../ in its dir", tar: () => makeTar([{ h: h("../outside/.wh.sentinel", "file") }]), want: "refused" },
  {
    name: "whiteout through a symlinked parent lands inside",
    tar: (o) => makeTar([{ h: h("s", "symlink", { linkname: o }) }, { h: h("s/.wh.sentinel", "file") }]),
    want: "contained",
    check: (t, o) => expect(lstatSync(join(t, o, "sentinel")).isCharacterDevice()).toBe(true),
  },
  {
    name: "opaque marker through a symlinked parent marks a dir inside",
    tar: (o) => makeTar([{ h: h("s", "symlink", { linkname: o }) }, { h: h("s/.wh..wh..opq", "file") }]),
    want: "contained",
    check: (t, o) => expect(listXattrs(join(t, o))).toEqual(["trusted.overlay.opaque"]),
  },
  {
    name: "reserved .wh..wh. payload is never written",
    tar: () => makeTar([file(".wh..wh.plnk/evil", "x"), file(".wh..wh.aufs", "x")]),
    want: "contained",
    check: (t) => expect(readdirSync(t)).toEqual([]),
  },
  {
    name: "whiteout carrying content: content skipped, whiteout made",
    tar: () => makeTar([{ h: h(".wh.thing", "file", { size: 5 }), content: enc.encode("bytes") }, file("after", "ok")]),
    want: "contained",
    check: (t) => {
      expect(lstatSync(join(t, "thing")).isCharacterDevice()).toBe(true);
      expect(readFileSync(join(t, "after"), "utf8")).toBe("ok");
    },
  },
  {
    name: "tar cannot forge overlay markers through xattrs",
    tar: () => makeTar([{ h: h("d", "dir", { xattrs: [["trusted.overlay.opaque", enc.encode("y")], ["trusted.overlay.redirect", enc.encode("/etc")], ["user.overlay.opaque", enc.encode("y")]] }) }]),
    want: "contained",
    check: (t) => expect(listXattrs(join(t, "d"))).toEqual([]),
  },
  { name: "device node via ../", tar: () => makeTar([{ h: h("../outside/dev", "char", { devmajor: 1, devminor: 3 }) }]), want: "refused" },
  { name: "huge declared size, truncated content", tar: () => Buffer.concat([rawEntry("big", "0", enc.encode("only this"), { size: 2 ** 40 }).subarray(0, 512 + 9)]), want: "refused", error: /truncated/ },
  { name: "truncated in the middle of a header", tar: () => makeTar([file("a")]).subarray(0, 1024 + 100), want: "refused", error: /truncated/ },
  {
    name: "bad header checksum",
    tar: () => {
      const t = makeTar([file("a")]);
      t[10] = 0x41;
      return t;
    },
    want: "refused",
    error: /checksum/,
  },
  { name: "PAX header declaring 100 MiB", tar: () => Buffer.concat([rawEntry("pax", "x", new Uint8Array(0), { size: 100 * 2 ** 20 }), END]), want: "refused", error: /refusing more than/ },
  { name: "PAX path with traversal behind an innocent name", tar: () => Buffer.concat([rawEntry("pax", "x", enc.encode(paxRecord("path", "../../outside/pwned"))), rawEntry("innocent", "0", enc.encode("x")), END]), want: "refused" },
  { name: "PAX linkpath to outside for a hard link", tar: () => Buffer.concat([rawEntry("pax", "x", enc.encode(paxRecord("linkpath", "../outside/sentinel"))), rawEntry("hl", "1"), END]), want: "refused" },
  { name: "GNU long name with traversal", tar: () => Buffer.concat([rawEntry("././@LongLink", "L", enc.encode("../outside/pwned\0")), rawEntry("innocent", "0", enc.encode("x")), END]), want: "refused" },
  { name: "GNU sparse file", tar: () => Buffer.concat([rawEntry("sparse", "S", enc.encode("x")), END]), want: "refused", error: /sparse/ },
  { name: "unknown entry type", tar: () => Buffer.concat([rawEntry("weird", "Z"), END]), want: "refused", error: /unsupported type/ },
  { name: "malformed PAX record", tar: () => Buffer.concat([rawEntry("pax", "x", enc.encode("999999 path=x\n")), rawEntry("a", "0"), END]), want: "refused", error: /malformed PAX/ },
  { name: "symlink entry for the root itself", tar: () => makeTar([{ h: h(".", "symlink", { linkname: "/" }) }]), want: "refused", error: /cannot replace the layer root/ },
  { name: "a file where a parent directory should be", tar: () => makeTar([file("f"), file("f/child")]), want: "refused", error: /not a directory/ },
];

describe.skipIf(noRoot)("applyLayer on hostile tars", () => {
  test.each(cases)("$name → $want", async ({ tar, want, error, check }) => {
    using d = tempDir("breakout");
    const outside = d.join("outside");
    mkdirSync(outside);
    writeFileSync(join(outside, "sentinel"), "safe");
    const before = snapshot(d.path);
    const target = d.join("target");
    const result = applyLayer(streamOf(tar(outside), 1000), target, { xattrNamespace: "trusted" });
    if (want === "refused") {
      const err = await result.catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LayerError);
      if (error) expect((err as Error).message).toMatch(error);
    } else {
      await result;
      check?.(target, outside);
    }
    const after = snapshot(d.path);
    for (const k of Object.keys(after)) if (k === "target" || k.startsWith("target/")) delete after[k];
    expect(after).toEqual(before);
  });
});
