import { describe, expect, test } from "bun:test";
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Store } from "../../src/store/index.ts";
import { canUnshare, tempDir } from "../harness.ts";
import { importAlpine, noAlpine } from "../lib/alpine-store.ts";

const alpine = (store: Store, tags: string[], created?: Date) => importAlpine(store, tags, { created });

describe.skipIf(noAlpine)("prune", () => {
  test("keeps everything a tagged image needs", async () => {
    using dir = tempDir("gc");
    using store = await Store.open({ root: dir.path });
    const rec = await alpine(store, ["alpine"]);
    await store.prepareSnapshots(rec);
    const report = await store.prune();
    expect(report).toMatchObject({ deletedImages: [], blobs: 0, snapshots: 0, tempEntries: 0, reclaimed: 0, failures: [] });
    expect(await store.prepareSnapshots(await store.getImage("alpine"))).toEqual([store.snapshotPath(rec.chainIds[0]!)]);
  });

  test("after rmi, reclaims the blobs and the snapshot", async () => {
    using dir = tempDir("gc");
    using store = await Store.open({ root: dir.path });
    const rec = await alpine(store, ["alpine"]);
    await store.prepareSnapshots(rec);
    await store.removeImage("alpine");
    const report = await store.prune();
    expect(report).toMatchObject({ blobs: 3, snapshots: 1 });
    expect(report.reclaimed).toBeGreaterThan(8_000_000);
    expect(store.blobs.list()).toEqual([]);
    expect(readdirSync(store.snapshots.dir)).toEqual([]);
  });

  test("deletes dangling images (a tag moved away) but keeps shared layers", async () => {
    using dir = tempDir("gc");
    using store = await Store.open({ root: dir.path });
    const old = await alpine(store, ["app"], new Date("2020-01-01T00:00:00Z"));
    const neu = await alpine(store, ["app"], new Date("2024-01-01T00:00:00Z"));
    expect((await store.listImages()).map((r) => r.id)).toEqual([neu.id, old.id]);
    const report = await store.prune();
    expect(report.deletedImages).toEqual([old.id]);
    expect(report.blobs).toBe(2); // its config and manifest; the layer blob is the same bytes as the new one's
    expect((await store.listImages()).map((r) => r.id)).toEqual([neu.id]);
    expect(store.hasBlob(neu.manifest.layers[0]!.digest)).toBe(true);
  });

  test("the build cache keeps intermediate images until prune --all", async () => {
    using dir = tempDir("gc");
    using store = await Store.open({ root: dir.path });
    const base = await alpine(store, ["alpine"]);
    const step = await store.commitImage({
      config: { ...base.config, config: { Cmd: ["echo", "step"] } },
      layers: base.manifest.layers.map((descriptor, i) => ({ descriptor, diffId: base.diffIds[i]! })),
      parent: base.id,
    });
    store.cachePut("parent+RUN echo step", step.id);
    expect((await store.prune()).deletedImages).toEqual([]);
    expect(store.cacheGet("parent+RUN echo step")).toBe(step.id);
    const report = await store.prune({ all: true });
    expect(report).toMatchObject({ deletedImages: [step.id], cacheEntries: 1 });
    expect(store.cacheGet("parent+RUN echo step")).toBeUndefined();
    expect((await store.getImage("alpine")).id).toBe(base.id);
  });

  test("removes leftovers: temp blobs, half-extracted dirs (read-only, foreign owners), stray snapshots", async () => {
    using dir = tempDir("gc");
    using store = await Store.open({ root: dir.path });
    writeFileSync(join(dir.path, "tmp/blob-999999-dead"), "x".repeat(1000));
    const half = join(dir.path, "tmp/extract-999999-dead-x");
    mkdirSync(join(half, "usr/lib/locked"), { recursive: true });
    writeFileSync(join(half, "usr/lib/locked/file"), "y".repeat(500));
    chownSync(join(half, "usr/lib/locked/file"), 100_123, 100_123);
    chmodSync(join(half, "usr/lib/locked"), 0o000);
    chmodSync(join(half, "usr/lib"), 0o555);
    mkdirSync(join(store.snapshots.dir, "f".repeat(64), "etc"), { recursive: true });
    const report = await store.prune();
    expect(report).toMatchObject({ tempEntries: 2, snapshots: 1, failures: [] });
    expect(report.reclaimed).toBe(1500);
    expect(readdirSync(join(dir.path, "tmp"))).toEqual([]);
    expect(readdirSync(store.snapshots.dir)).toEqual([]);
  });

  test.skipIf(!canUnshare)("keeps snapshots a running container has mounted, even when its image is gone", async () => {
    using dir = tempDir("gc");
    using store = await Store.open({ root: dir.path });
    const rec = await alpine(store, ["alpine"]);
    const [lower] = await store.prepareSnapshots(rec);
    const ctr = dir.join("ctr");
    for (const d of ["upper", "work", "merged"]) mkdirSync(join(ctr, d), { recursive: true });
    // A container's mount: an overlay in a mount namespace of its own, gone when the process ends.
    const script = `mount -t overlay overlay -o lowerdir=${lower},upperdir=${ctr}/upper,workdir=${ctr}/work ${ctr}/merged && echo mounted && read _`;
    const proc = Bun.spawn(["unshare", "--mount", "--propagation", "private", "sh", "-c", script], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    try {
      const first = await proc.stdout.getReader().read();
      expect(new TextDecoder().decode(first.value)).toBe("mounted\n");
      await store.removeImage("alpine");
      const during = await store.prune();
      expect(during).toMatchObject({ snapshots: 0, failures: [] });
      expect(store.hasSnapshot(rec.chainIds[0]!)).toBe(true);
    } finally {
      proc.kill("SIGKILL");
      await proc.exited;
    }
    expect(await store.prune()).toMatchObject({ snapshots: 1, failures: [] });
    expect(readFileSync("/proc/self/mountinfo", "utf8")).not.toContain(ctr);
  });

  test("waits for other open stores (E_STORE_LOCKED after its timeout), then runs", async () => {
    using dir = tempDir("gc");
    const other = await Store.open({ root: dir.path });
    using store = await Store.open({ root: dir.path });
    let waited = false;
    await expect(store.prune({ timeoutMs: 50, onWait: () => (waited = true) })).rejects.toMatchObject({ code: "E_STORE_LOCKED" });
    expect(waited).toBe(true);
    other.close();
    // The failed attempt gave its shared lock back: a third store's prune cannot run past it.
    const third = await Store.open({ root: dir.path });
    await expect(third.prune({ timeoutMs: 50 })).rejects.toMatchObject({ code: "E_STORE_LOCKED" });
    third.close();
    expect((await store.prune({ timeoutMs: 5000 })).failures).toEqual([]);
  });
});
