// A COPY that re-runs because one source changed takes the other files from
// the snapshot its last run made (hard links, layer/copy-reuse.ts), through
// real builds: the rebuilt image has exactly the layers a fresh store builds
// from the same context, unchanged files share the earlier snapshot's inodes,
// the changed one does not, a COPY into a directory the image has (written
// through the overlay) copies everything, and --no-cache links nothing.
// SOURCE_DATE_EPOCH (taken once the context exists) clamps the times of what
// the builds create themselves (the /tree dir, the changed file), so layers
// built in different seconds can be compared byte for byte.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { lstatSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { Store } from "../../src/store/index.ts";
import { runKiln, skipReason, tempDir, type KilnResult } from "../harness.ts";
import { cannotBuild, cannotBuildReason, openBuildStore, type BuildStore } from "./build-lib.ts";

const skip = skipReason(cannotBuild, cannotBuildReason);
const DOCKERFILE = "FROM alpine:3.20\nCOPY tree /tree\nCOPY tree /etc/tree-copy\nRUN cat /tree/f1 /tree/f3 > /seen\n";

/** The image's diff ids, and its snapshot dir for each layer (by chain id). */
async function layersOf(root: string, ref: string): Promise<{ diffIds: string[]; snapshots: string[] }> {
  using s = await Store.open({ root });
  const image = await s.getImage(ref);
  return { diffIds: image.diffIds, snapshots: image.chainIds.map((c) => s.snapshotPath(c)) };
}

const inode = (path: string) => lstatSync(path).ino;

describe.skipIf(skip)("COPY after one changed source reuses the unchanged files", () => {
  let a: BuildStore;
  const ctx = tempDir("reuse-ctx");
  let epoch = "";
  const build = (root: string, args: string[]): Promise<KilnResult> => runKiln(["build", ...args, ctx.path], { root, env: { SOURCE_DATE_EPOCH: epoch } });
  beforeAll(async () => {
    a = await openBuildStore("reuse");
    mkdirSync(ctx.join("tree/sub"), { recursive: true });
    for (let i = 1; i <= 40; i++) writeFileSync(ctx.join(`tree/${i % 2 ? "" : "sub/"}f${i}`), `file ${i}\n`.repeat(i));
    writeFileSync(ctx.join("Dockerfile"), DOCKERFILE);
    epoch = String(Math.floor(Date.now() / 1000));
  }, 120_000);
  afterAll(() => {
    a?.[Symbol.dispose]();
    ctx[Symbol.dispose]();
  });

  test("the rebuilt image equals a fresh build; unchanged files are links to the last snapshot, the changed one is new", async () => {
    expect((await build(a.root, ["-t", "reuse:1"])).exitCode).toBe(0);
    const first = await layersOf(a.root, "reuse:1");
    writeFileSync(ctx.join("tree/f3"), "changed\n");
    const r = await build(a.root, ["-t", "reuse:2"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain(" ---> Using cache");
    const second = await layersOf(a.root, "reuse:2");

    using fresh = await openBuildStore("reuse-fresh");
    expect((await build(fresh.root, ["-t", "reuse:2"])).exitCode).toBe(0);
    expect((await layersOf(fresh.root, "reuse:2")).diffIds).toEqual(second.diffIds);

    const [prevTree, nextTree] = [first.snapshots[1]!, second.snapshots[1]!];
    expect(inode(`${nextTree}/tree/f1`)).toBe(inode(`${prevTree}/tree/f1`));
    expect(inode(`${nextTree}/tree/sub/f2`)).toBe(inode(`${prevTree}/tree/sub/f2`));
    expect(inode(`${nextTree}/tree/f3`)).not.toBe(inode(`${prevTree}/tree/f3`));
    expect(readFileSync(`${nextTree}/tree/f3`, "utf8")).toBe("changed\n");
    expect(readFileSync(`${prevTree}/tree/f3`, "utf8")).toBe("file 3\n".repeat(3));
    // /etc exists in the image: that COPY goes through the overlay and copies every file.
    const [prevEtc, nextEtc] = [first.snapshots[2]!, second.snapshots[2]!];
    expect(inode(`${nextEtc}/etc/tree-copy/f1`)).not.toBe(inode(`${prevEtc}/etc/tree-copy/f1`));
    expect((await runKiln(["run", "--rm", "reuse:2", "cat", "/seen"], { root: a.root })).stdout).toBe(`file 1\nchanged\n`);
  }, 180_000);

  test("--no-cache copies every file again", async () => {
    writeFileSync(ctx.join("tree/f5"), "changed too\n");
    const before = await layersOf(a.root, "reuse:2");
    expect((await build(a.root, ["--no-cache", "-t", "reuse:3"])).exitCode).toBe(0);
    const after = await layersOf(a.root, "reuse:3");
    expect(inode(`${after.snapshots[1]!}/tree/f1`)).not.toBe(inode(`${before.snapshots[1]!}/tree/f1`));
  }, 180_000);
});
