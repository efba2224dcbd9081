import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Store } from "../../src/store/index.ts";
import { tempDir } from "../harness.ts";
import { importAlpine as importAlpineAs, noAlpine, seedAlpine } from "../lib/alpine-store.ts";

const STORE_INDEX = new URL("../../src/store/index.ts", import.meta.url).pathname;

const importAlpine = (store: Store) => importAlpineAs(store, ["alpine:3.20"]);

describe.skipIf(noAlpine)("snapshots", () => {
  test("prepareSnapshots extracts a layer once and returns lower dirs", async () => {
    using dir = tempDir("snap");
    using store = await Store.open({ root: dir.path });
    const rec = await importAlpine(store);
    const [lower, ...rest] = await store.prepareSnapshots(rec);
    expect(rest).toEqual([]);
    expect(lower).toBe(store.snapshotPath(rec.chainIds[0]!));
    expect(readFileSync(join(lower!, "etc/alpine-release"), "utf8")).toBe("3.20.3\n");
    const before = statSync(lower!).ino;
    expect(await store.prepareSnapshots(rec)).toEqual([lower!]);
    expect(statSync(lower!).ino).toBe(before);
    expect(readdirSync(join(dir.path, "tmp"))).toEqual([]);
  });

  test("two processes preparing the same image at once extract it once", async () => {
    using dir = tempDir("snap");
    await seedAlpine(dir.path, ["alpine:3.20"]);
    const script = `const { Store } = await import(${JSON.stringify(STORE_INDEX)});
      const s = await Store.open({ root: ${JSON.stringify(dir.path)} });
      console.log(JSON.stringify(await s.prepareSnapshots(await s.getImage("alpine:3.20")))); s.close();`;
    const runs = [0, 1].map(() => Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" }));
    const outs = await Promise.all(runs.map(async (p) => ({ out: await new Response(p.stdout).text(), err: await new Response(p.stderr).text(), code: await p.exited })));
    for (const o of outs) expect(o).toMatchObject({ code: 0, err: "" });
    expect(outs[0]!.out).toBe(outs[1]!.out);
    expect(readdirSync(join(dir.path, "snapshots"))).toHaveLength(1);
    expect(readdirSync(join(dir.path, "tmp"))).toEqual([]);
  });

  test("a corrupt layer blob fails the extraction and leaves no snapshot", async () => {
    using dir = tempDir("snap");
    using store = await Store.open({ root: dir.path });
    const rec = await importAlpine(store);
    const blob = store.blobPath(rec.manifest.layers[0]!.digest);
    const bytes = readFileSync(blob);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0xff;
    writeFileSync(blob, bytes);
    await expect(store.prepareSnapshots(rec)).rejects.toMatchObject({ code: "E_BLOB_DIGEST_MISMATCH" });
    expect(store.hasSnapshot(rec.chainIds[0]!)).toBe(false);
    expect(readdirSync(join(dir.path, "tmp"))).toEqual([]);
  });
});

describe("commitUpperAsSnapshot", () => {
  test("renames the upper dir into place; a second commit of the same chain keeps the first", async () => {
    using dir = tempDir("snap");
    using store = await Store.open({ root: dir.path });
    const chain = `sha256:${"7".repeat(64)}` as const;
    const upper = await store.tempDir("upper");
    mkdirSync(join(upper, "etc"));
    writeFileSync(join(upper, "etc/hello"), "hi");
    const path = await store.commitUpperAsSnapshot(upper, chain);
    expect(path).toBe(store.snapshotPath(chain));
    expect(existsSync(upper)).toBe(false);
    expect(readFileSync(join(path, "etc/hello"), "utf8")).toBe("hi");
    const again = await store.tempDir("upper");
    writeFileSync(join(again, "other"), "x");
    expect(await store.commitUpperAsSnapshot(again, chain)).toBe(path);
    expect(existsSync(again)).toBe(false);
    expect(existsSync(join(path, "other"))).toBe(false);
  });
});
