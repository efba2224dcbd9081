import { describe, expect, test } from "bun:test";
import { utimesSync } from "node:fs";
import { BuildDb } from "../../../src/build/build-db.ts";
import { BuildContext } from "../../../src/build/context.ts";
import { forgetMissingContexts, HashCache } from "../../../src/build/hash-cache.ts";
import { DockerIgnore } from "../../../src/dockerfile/index.ts";
import { tempDir } from "../../harness.ts";

class CountingCache extends HashCache {
  hits = 0;
  override get(root: string, rel: string, sig: string): string | undefined {
    const h = super.get(root, rel, sig);
    if (h) this.hits++;
    return h;
  }
}

/** Files old enough not to be "racy" for the hash cache. */
function age(dir: string, rels: string[]): void {
  const t = Date.now() / 1000 - 60;
  for (const r of rels) utimesSync(`${dir}/${r}`, t, t);
}

describe("the build context", () => {
  test(".dockerignore excludes files and whole directories, ! brings files back (with their directory, 0755 as Docker recreates it)", () => {
    using ctx = tempDir("ctx", { "a.txt": "", "node_modules/x/y": "", "logs/keep.log": "", "logs/drop.log": "", "src/main.ts": "" });
    const ignore = DockerIgnore.parse("node_modules\nlogs\n!logs/keep.log\n");
    const c = new BuildContext(ctx.path, ignore, new HashCache(new BuildDb(undefined)));
    expect(c.all().map((e) => e.rel).sort()).toEqual(["a.txt", "logs", "logs/keep.log", "src", "src/main.ts"]);
    expect(c.lookup("logs")?.perm).toBe(0o755);
    expect(c.resolve("node_modules/x/y")).toBeUndefined();
    expect(c.resolve("logs/keep.log")?.kind).toBe("file");
  });

  test("symlinks of a named source are followed inside the context only", () => {
    using ctx = tempDir("ctx", { "real.txt": "r", "up": { symlink: "../../../etc/passwd" }, "l": { symlink: "real.txt" } });
    const c = new BuildContext(ctx.path, undefined, new HashCache(new BuildDb(undefined)));
    expect(c.resolve("l")?.rel).toBe("real.txt");
    // ../../../etc/passwd is clamped to the context root: <context>/etc/passwd, which is not there.
    expect(c.resolve("up")).toBeUndefined();
  });

  test("walk lists a directory pre-order with sorted names", () => {
    using ctx = tempDir("ctx", { "d/b": "", "d/a/z": "", "d/c": "" });
    const c = new BuildContext(ctx.path, undefined, new HashCache(new BuildDb(undefined)));
    expect(c.walk("d").map((e) => e.rel)).toEqual(["d", "d/a", "d/a/z", "d/b", "d/c"]);
  });

  test("an unchanged context is not hashed again: hashes come from the persisted stat cache", () => {
    using ctx = tempDir("ctx", { "f1": "1", "d/f2": "2" });
    using store = tempDir("ctxdb");
    age(ctx.path, ["f1", "d/f2", "d"]);
    {
      using db = new BuildDb(store.path);
      const c = new BuildContext(ctx.path, undefined, new HashCache(db));
      c.sourceHash(c.resolve("")!);
      c.flushHashes();
    }
    using db = new BuildDb(store.path);
    const cache = new CountingCache(db);
    const c = new BuildContext(ctx.path, undefined, cache);
    const before = c.sourceHash(c.resolve("")!);
    expect(cache.hits).toBe(3); // f1, d, d/f2
    Bun.write(ctx.join("f1"), "changed");
    const c2 = new BuildContext(ctx.path, undefined, new CountingCache(db));
    expect(c2.sourceHash(c2.resolve("")!)).not.toBe(before);
  });

  test("a temp context's hashes (persist: false) serve this build only: nothing is written for the next", () => {
    using ctx = tempDir("ctx", { "f1": "1" });
    using store = tempDir("ctxdb");
    age(ctx.path, ["f1"]);
    {
      using db = new BuildDb(store.path);
      const c = new BuildContext(ctx.path, undefined, new HashCache(db, { persist: false }));
      c.sourceHash(c.resolve("")!);
      c.sourceHash(c.resolve("")!);
      c.flushHashes();
    }
    using db = new BuildDb(store.path);
    const cache = new CountingCache(db);
    const c = new BuildContext(ctx.path, undefined, cache);
    c.sourceHash(c.resolve("")!);
    expect(cache.hits).toBe(0);
  });

  test("prune forgets the hashes of context dirs that are gone, and only those", () => {
    using kept = tempDir("ctx-kept", { f: "1" });
    const gone = tempDir("ctx-gone", { f: "1" });
    using store = tempDir("ctxdb");
    age(kept.path, ["f"]);
    age(gone.path, ["f"]);
    using db = new BuildDb(store.path);
    for (const dir of [kept.path, gone.path]) {
      const c = new BuildContext(dir, undefined, new HashCache(db));
      c.sourceHash(c.resolve("")!);
      c.flushHashes();
    }
    gone[Symbol.dispose]();
    const roots = () => (db.get()!.query("SELECT DISTINCT root FROM hashes ORDER BY root").all() as { root: string }[]).map((r) => r.root);
    expect(roots()).toEqual([gone.path, kept.path].sort());
    expect(forgetMissingContexts(db)).toBe(1);
    expect(roots()).toEqual([kept.path]);
  });

  test("files modified just now are not persisted (racy), so a change in the same tick is never missed", () => {
    using ctx = tempDir("ctx", { fresh: "1" });
    using store = tempDir("ctxdb");
    {
      using db = new BuildDb(store.path);
      const c = new BuildContext(ctx.path, undefined, new HashCache(db));
      c.hashOf(c.lookup("fresh")!);
      c.flushHashes();
    }
    using db = new BuildDb(store.path);
    const cache = new CountingCache(db);
    const c = new BuildContext(ctx.path, undefined, cache);
    c.hashOf(c.lookup("fresh")!);
    expect(cache.hits).toBe(0);
  });
});
