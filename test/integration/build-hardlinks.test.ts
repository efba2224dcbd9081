// Hard links through COPY, with real builds on kiln's alpine:3.20, checked on
// the image's flattened layers (FsEntry.hardlink names each group by its
// smallest path). Docker's rules (checked with the differential cases
// #hardlinks-*): the files of one directory source that are one inode stay
// one inode; separate sources never share one; COPY --from keeps what the
// stage's layers have. Then the same with the hard-link reuse of a COPY's
// last snapshot (layer/copy-reuse.ts): the rebuilt layers equal a fresh
// store's when a link group appears, stays, or is broken.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, linkSync, lstatSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { Store } from "../../src/store/index.ts";
import { runKiln, skipReason, tempDir, type KilnResult, type Tree } from "../harness.ts";
import { cannotBuild, cannotBuildReason, mismatches, openBuildStore, type BuildStore, type Expect } from "./build-lib.ts";

const skip = skipReason(cannotBuild, cannotBuildReason);

/** hl/a, hl/b, hl/sub/c and other/x are one inode; other/y and other/z another. */
const TREE: Tree = { "hl/a": "one\n", "hl/sub/.keep": "", "other/y": "two\n" };
function linkTree(dir: string): void {
  for (const n of ["hl/b", "hl/sub/c", "other/x"]) linkSync(`${dir}/hl/a`, `${dir}/${n}`);
  linkSync(`${dir}/other/y`, `${dir}/other/z`);
}

const rows: { name: string; dockerfile: string; tree?: Tree; expect: Expect }[] = [
  {
    name: "a directory source keeps the hard links among its files",
    dockerfile: "COPY hl /hl/",
    expect: { "/hl/a": { hardlink: "/hl/a", content: "one\n" }, "/hl/b": { hardlink: "/hl/a" }, "/hl/sub/c": { hardlink: "/hl/a" } },
  },
  {
    name: "the whole context as one source keeps every group",
    dockerfile: "COPY . /all/",
    expect: { "/all/hl/b": { hardlink: "/all/hl/a" }, "/all/other/x": { hardlink: "/all/hl/a" }, "/all/other/z": { hardlink: "/all/other/y" } },
  },
  {
    name: "separate file sources are separate files",
    dockerfile: "COPY hl/a hl/b /files/",
    expect: { "/files/a": { type: "file", hardlink: undefined }, "/files/b": { type: "file", hardlink: undefined } },
  },
  {
    name: "links between two directory sources are not kept, links inside each are",
    dockerfile: "COPY hl other /two/",
    expect: { "/two/b": { hardlink: "/two/a" }, "/two/x": { hardlink: undefined }, "/two/z": { hardlink: "/two/y" } },
  },
  {
    name: "--chown and --chmod apply to the one inode of a group",
    dockerfile: "COPY --chown=5:6 --chmod=600 hl /h2/",
    expect: { "/h2/a": { hardlink: "/h2/a", uid: 5, gid: 6, mode: 0o600 }, "/h2/b": { hardlink: "/h2/a", uid: 5, mode: 0o600 } },
  },
  {
    name: "a group's first name excluded by .dockerignore: the others stay linked",
    dockerfile: "COPY hl /hl/",
    tree: { ".dockerignore": "hl/a\n" },
    expect: { "/hl/a": null, "/hl/b": { hardlink: "/hl/b", content: "one\n" }, "/hl/sub/c": { hardlink: "/hl/b" } },
  },
  {
    name: "COPY --from a stage keeps the links its RUN made",
    dockerfile: "RUN mkdir -p /t/s && echo x > /t/p && ln /t/p /t/s/q && ln /t/p /t/r\nFROM alpine:3.20\nCOPY --from=0 /t /t/",
    expect: { "/t/p": { hardlink: "/t/p" }, "/t/r": { hardlink: "/t/p" }, "/t/s/q": { hardlink: "/t/p" } },
  },
  {
    name: "COPY --from of single files makes separate files",
    dockerfile: "RUN echo x > /p && ln /p /q\nFROM alpine:3.20\nCOPY --from=0 /p /q /f/",
    expect: { "/f/p": { type: "file", hardlink: undefined }, "/f/q": { type: "file", hardlink: undefined } },
  },
];

describe.skipIf(skip)("hard links through COPY, real builds", () => {
  let store: BuildStore;
  beforeAll(async () => {
    store = await openBuildStore("hardlinks");
  }, 60_000);
  afterAll(() => store?.[Symbol.dispose]());

  for (const [i, row] of rows.entries()) {
    test(row.name, async () => {
      const r = await store.build(`FROM alpine:3.20\n${row.dockerfile}\n`, { ...TREE, ...row.tree }, ["-t", `hl-${i}`], linkTree);
      if (r.exitCode !== 0) throw new Error(r.stdout + r.stderr);
      expect(mismatches(await store.files(`hl-${i}`), row.expect)).toEqual([]);
    }, 60_000);
  }
});

/** The image's diff ids, and the snapshot dir of its top layer. */
async function layersOf(root: string, ref: string): Promise<{ diffIds: string[]; top: string }> {
  using s = await Store.open({ root });
  const image = await s.getImage(ref);
  return { diffIds: image.diffIds, top: s.snapshotPath(image.chainIds.at(-1)!) };
}

describe.skipIf(skip)("hard-link groups and the reuse of a COPY's last snapshot", () => {
  let a: BuildStore;
  const ctx = tempDir("hl-reuse-ctx");
  let epoch = "";
  const build = (root: string, tag: string): Promise<KilnResult> => runKiln(["build", "-t", tag, ctx.path], { root, env: { SOURCE_DATE_EPOCH: epoch } });
  beforeAll(async () => {
    a = await openBuildStore("hl-reuse");
    mkdirSync(ctx.join("tree"), { recursive: true });
    for (let i = 1; i <= 6; i++) writeFileSync(ctx.join(`tree/f${i}`), `file ${i}\n`);
    writeFileSync(ctx.join("tree/same"), "file 1\n");
    writeFileSync(ctx.join("Dockerfile"), "FROM alpine:3.20\nCOPY tree /tree\n");
    epoch = String(Math.floor(Date.now() / 1000));
  }, 120_000);
  afterAll(() => {
    a?.[Symbol.dispose]();
    ctx[Symbol.dispose]();
  });

  // Each step changes the context, rebuilds in store A (reusing its last snapshot) and in a fresh store: same layers.
  const steps: [string, () => void, Expect][] = [
    ["no links yet", () => {}, { "/tree/same": { hardlink: undefined } }],
    ["tree/same becomes a hard link of tree/f1 (plus one changed file)", () => {
      rmSync(ctx.join("tree/same"));
      linkSync(ctx.join("tree/f1"), ctx.join("tree/same"));
      writeFileSync(ctx.join("tree/f2"), "changed\n");
    }, { "/tree/f1": { hardlink: "/tree/f1" }, "/tree/same": { hardlink: "/tree/f1" } }],
    ["the group stays while another file changes", () => writeFileSync(ctx.join("tree/f3"), "changed\n"), { "/tree/same": { hardlink: "/tree/f1" } }],
    ["the link is broken, the content the same", () => {
      copyFileSync(ctx.join("tree/f1"), ctx.join("tree/tmp"));
      rmSync(ctx.join("tree/same"));
      writeFileSync(ctx.join("tree/same"), "file 1\n");
      rmSync(ctx.join("tree/tmp"));
    }, { "/tree/f1": { hardlink: undefined }, "/tree/same": { hardlink: undefined, content: "file 1\n" } }],
  ];
  for (const [i, [name, change, want]] of steps.entries()) {
    test(name, async () => {
      change();
      const r = await build(a.root, `hlr:${i}`);
      if (r.exitCode !== 0) throw new Error(r.stdout + r.stderr);
      expect(mismatches(await a.files(`hlr:${i}`), want)).toEqual([]);
      const built = await layersOf(a.root, `hlr:${i}`);
      // The unchanged tree/f4 came from the last run's snapshot: the reuse really ran.
      if (i > 0) expect(lstatSync(`${built.top}/tree/f4`).ino).toBe(lstatSync(`${(await layersOf(a.root, `hlr:${i - 1}`)).top}/tree/f4`).ino);
      using fresh = await openBuildStore(`hl-fresh-${i}`);
      expect((await build(fresh.root, `hlr:${i}`)).exitCode).toBe(0);
      expect(built.diffIds).toEqual((await layersOf(fresh.root, `hlr:${i}`)).diffIds);
      expect(lstatSync(ctx.join("tree/f1")).nlink).toBe(i === 1 || i === 2 ? 2 : 1);
    }, 180_000);
  }
});
