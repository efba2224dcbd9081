import { describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import type { TarHeader } from "../../../src/layer/tar-format.ts";
import { hasCommand, skipReason, tempDir } from "../../harness.ts";
import { makeTar, readTar } from "./_tar.ts";

const base = { mode: 0o644, uid: 0, gid: 0, size: 0, mtime: 1_700_000_000 };
const enc = new TextEncoder();
const long = "d/".repeat(80) + "file.txt";

describe("encodeHeader → TarReader round trip", () => {
  const cases: { name: string; h: TarHeader; content?: string }[] = [
    { name: "short file", h: { ...base, name: "etc/passwd", type: "file", size: 5 }, content: "root\n" },
    { name: "directory gets its slash", h: { ...base, name: "etc", type: "dir", mode: 0o755 } },
    { name: "setuid, setgid, sticky bits", h: { ...base, name: "bin/su", type: "file", mode: 0o7755 } },
    { name: "long name through PAX", h: { ...base, name: long, type: "file", size: 2 }, content: "hi" },
    { name: "non-ASCII name through PAX", h: { ...base, name: "données/été ☃.txt", type: "file" } },
    { name: "long symlink target", h: { ...base, name: "l", type: "symlink", linkname: "/x".repeat(70) } },
    { name: "hard link", h: { ...base, name: "b", type: "link", linkname: "a" } },
    { name: "big uid and gid through PAX", h: { ...base, name: "f", type: "file", uid: 100_000_000, gid: 3_000_000 } },
    { name: "char device", h: { ...base, name: "dev/null", type: "char", devmajor: 1, devminor: 3 } },
    { name: "block device", h: { ...base, name: "dev/sda", type: "block", devmajor: 8, devminor: 0 } },
    { name: "fifo", h: { ...base, name: "run/fifo", type: "fifo" } },
    { name: "binary xattr value", h: { ...base, name: "ping", type: "file", xattrs: [["security.capability", new Uint8Array([1, 0, 0, 2, 0, 0x20, 0, 0, 0xff, 0x80, 0, 0])]] } },
  ];
  test.each(cases)("$name", async ({ h, content }) => {
    const tar = makeTar([{ h, content: content === undefined ? undefined : enc.encode(content) }]);
    const { entries } = await readTar(tar, 100);
    expect(entries).toHaveLength(1);
    const got = entries[0]!;
    expect(got.name).toBe(h.type === "dir" ? `${h.name}/` : h.name);
    expect(got.type).toBe(h.type);
    expect(got.mode).toBe(h.mode);
    expect([got.uid, got.gid, got.mtime]).toEqual([h.uid, h.gid, h.mtime]);
    if (h.linkname) expect(got.linkname).toBe(h.linkname);
    if (h.devmajor !== undefined) expect([got.devmajor, got.devminor]).toEqual([h.devmajor, h.devminor!]);
    expect(got.xattrs).toEqual(h.xattrs ?? []);
    if (content !== undefined) expect(got.content).toBe(content);
  });

  test("the reader's digest and size cover every byte, trailing padding included", async () => {
    const tar = makeTar([{ h: { ...base, name: "a", type: "file", size: 1 }, content: enc.encode("a") }], 10240 - 1536);
    const { digest, size } = await readTar(tar);
    expect(size).toBe(tar.length);
    expect(digest).toBe(`sha256:${new Bun.CryptoHasher("sha256").update(tar).digest("hex")}`);
  });
});

const noTar = skipReason(!hasCommand("tar"), "GNU tar not installed");
describe.skipIf(noTar)("interoperability with GNU tar", () => {
  test("GNU tar lists and extracts what kiln writes (long names, xattrs)", () => {
    using d = tempDir("gnutar");
    const tar = makeTar([
      { h: { ...base, name: "d", type: "dir", mode: 0o755 } },
      { h: { ...base, name: long, type: "file", size: 3 }, content: enc.encode("abc") },
      { h: { ...base, name: "d/x", type: "file", size: 1, xattrs: [["user.k", enc.encode("v")]] }, content: enc.encode("x") },
      { h: { ...base, name: "d/ln", type: "symlink", linkname: "x" } },
    ]);
    writeFileSync(d.join("t.tar"), tar);
    const list = Bun.spawnSync(["tar", "-tf", d.join("t.tar")]).stdout.toString().trim().split("\n");
    expect(list).toEqual(["d/", long, "d/x", "d/ln"]);
    const x = Bun.spawnSync(["tar", "--xattrs", "--xattrs-include=user.*", "-xf", d.join("t.tar"), "-C", d.path]);
    expect(x.exitCode).toBe(0);
    expect(readFileSync(d.join(long), "utf8")).toBe("abc");
  });

  const formats = ["gnu", "pax", "ustar", "v7"];
  test.each(formats)("kiln reads what GNU tar writes (--format=%s)", async (format) => {
    using d = tempDir("gnutar-read");
    const name = format === "v7" || format === "ustar" ? "src/short.txt" : `src/${"n".repeat(150)}.txt`;
    Bun.spawnSync(["mkdir", "-p", d.join("src")]);
    writeFileSync(d.join(name), "content");
    const r = Bun.spawnSync(["tar", `--format=${format}`, "-cf", d.join("t.tar"), "-C", d.path, "src"]);
    expect(r.exitCode).toBe(0);
    const { entries } = await readTar(readFileSync(d.join("t.tar")));
    expect(entries.map((e) => [e.name, e.type, e.content])).toEqual([
      ["src/", "dir", undefined],
      [name, "file", "content"],
    ]);
  });
});
