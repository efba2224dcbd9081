import { afterAll, describe, expect, test } from "bun:test";
import { chmodSync, linkSync, rmSync, symlinkSync } from "node:fs";
import { BuildDb } from "../../../src/build/build-db.ts";
import { BuildContext } from "../../../src/build/context.ts";
import { planSources } from "../../../src/build/copy-plan.ts";
import { HashCache } from "../../../src/build/hash-cache.ts";
import { copySourcesHash } from "../../../src/build/source-hash.ts";
import { tempDir } from "../../harness.ts";

// These hashes are what Docker 20.10.24's classic builder printed in `docker history`
// (`COPY file:<hash> in …`) for a context with exactly these files and modes.
describe("COPY source hashes equal Docker's", () => {
  const ctx = tempDir("srchash", { "a.txt": "hello\n", "d/x": "x", "d/sub/y": "yy", "s.bin": "suid", "srcdir/q": "q" });
  chmodSync(ctx.join("a.txt"), 0o644);
  chmodSync(ctx.join("d"), 0o755);
  chmodSync(ctx.join("d/sub"), 0o755);
  chmodSync(ctx.join("d/sub/y"), 0o644);
  chmodSync(ctx.join("d/x"), 0o4755);
  chmodSync(ctx.join("s.bin"), 0o4755);
  chmodSync(ctx.join("srcdir"), 0o700);
  chmodSync(ctx.join("srcdir/q"), 0o644);
  symlinkSync("a.txt", ctx.join("link"));
  afterAll(() => ctx[Symbol.dispose]());
  const context = new BuildContext(ctx.path, undefined, new HashCache(new BuildDb(undefined)));
  const rows: [string, string[], string][] = [
    ["a file", ["a.txt"], "file:679c43c79a56cffbb3b002bda3050542c152a2f09757a0f1a9578871f7cda00d"],
    ["a directory with a setuid file", ["d"], "dir:3440417720e10be8c930825f8c7af2146dd9e34c9043b2a85d21fe59a6b8b6eb"],
    ["a setuid file", ["s.bin"], "file:d11b08a05cf2abf93038312d704bcafccf64878ef4a942599d31a4fb287547fb"],
    ["a 0700 directory", ["srcdir"], "dir:1041dbebfff426d7d1a262547c59e3e1aac36c7f391664a8c07376760fc3c361"],
    ["a symlink (followed: the target's hash)", ["link"], "file:679c43c79a56cffbb3b002bda3050542c152a2f09757a0f1a9578871f7cda00d"],
    ["several sources", ["a.txt", "d"], "multi:fe88a87a66466d323391514d61f0b9e1f7febf70d44bfb53475b292376f1f8bf"],
  ];
  for (const [name, sources, want] of rows) {
    test(name, () => expect(copySourcesHash(planSources(context, sources, "COPY").map((p) => p.hash))).toBe(want));
  }
});

// Docker's daemon sums the context tar the CLI sent: a symlink inside a directory source
// sums as its target, a path the tar does not carry as its own name (checked with dockerd 20.10).
describe("directory hashes with symlinks and .dockerignore, as Docker's tarsum context gives them", () => {
  const ctx = tempDir("srchash-links", { "links/target": "t\n", "links/rel": { symlink: "target" }, "links/abs": { symlink: "/etc/passwd" }, "dir/x": "" });
  afterAll(() => ctx[Symbol.dispose]());
  chmodSync(ctx.join("links"), 0o755);
  chmodSync(ctx.join("links/target"), 0o644);
  test("a symlink to a file counts as that file; one leading out counts as its path", () => {
    const c = new BuildContext(ctx.path, undefined, new HashCache(new BuildDb(undefined)));
    const t = c.hashOf(c.lookup("links/target")!);
    const dir = c.hashOf(c.lookup("links")!);
    const want = `dir:${new Bun.CryptoHasher("sha256").update([dir, t, t, "links/abs"].sort().join(",")).digest("hex")}`;
    expect(planSources(c, ["links"], "COPY")[0]!.hash).toBe(want);
  });
});

describe("a Docker-verified directory with a symlink", () => {
  const ctx = tempDir("srchash-docker-link", { "links/target": "t\n", "links/rel": { symlink: "target" } });
  afterAll(() => ctx[Symbol.dispose]());
  chmodSync(ctx.join("links"), 0o755);
  chmodSync(ctx.join("links/target"), 0o644);
  test("COPY links /links/ → the dir: hash dockerd 20.10 printed", () => {
    const c = new BuildContext(ctx.path, undefined, new HashCache(new BuildDb(undefined)));
    expect(planSources(c, ["links"], "COPY")[0]!.hash).toBe("dir:44d213e738bff92ca6d3f7d993dd4c60aad607de61a74c4a8e2f2fc2adf45d0d");
  });
});

// The docker CLI sends a file's later names (in the context's walk order) as tar hard links
// to its first, and tarsum sums their link headers: hashes of the #hardlinks-in-context-*
// differential cases as dockerd 20.10 printed them.
describe("hard-linked context files hash as Docker's link headers", () => {
  const ctx = tempDir("srchash-hardlinks", { "hl/a": "one inode\n", "hl/sub/.x": "", "other/y": "another inode\n" });
  rmSync(ctx.join("hl/sub/.x"));
  for (const [dir, mode] of [["hl", 0o755], ["hl/sub", 0o755], ["other", 0o755]] as const) chmodSync(ctx.join(dir), mode);
  chmodSync(ctx.join("hl/a"), 0o644);
  chmodSync(ctx.join("other/y"), 0o600);
  for (const n of ["hl/b", "hl/sub/c", "top", "other/x"]) linkSync(ctx.join("hl/a"), ctx.join(n));
  linkSync(ctx.join("other/y"), ctx.join("other/z"));
  afterAll(() => ctx[Symbol.dispose]());
  const rows: [string, string[], string][] = [
    ["three names of one inode as three sources", ["hl/a", "hl/b", "top"], "multi:54f1403c9c2254670d99e2058920f0fa862492c7e7b2b7fadf61e5746c4174cd"],
    ["a directory holding three names of it", ["hl"], "dir:5fcd730f710115cb94a282a1c39f7664f6be9d4e0aa45d5f90ec64002d8a299e"],
  ];
  for (const [name, sources, want] of rows) {
    test(name, () => {
      const context = new BuildContext(ctx.path, undefined, new HashCache(new BuildDb(undefined)));
      expect(copySourcesHash(planSources(context, sources, "COPY").map((p) => p.hash))).toBe(want);
    });
  }
  test("the first name alone hashes as a plain file", () => {
    const context = new BuildContext(ctx.path, undefined, new HashCache(new BuildDb(undefined)));
    expect(planSources(context, ["hl/a"], "COPY")[0]!.hash).toBe(`file:${new Bun.CryptoHasher("sha256").update("namehl/amode33188uid0gid0size10typeflag0linknameunamegnamedevmajor0devminor0one inode\n").digest("hex")}`);
  });
});
