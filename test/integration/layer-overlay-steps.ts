// Run by layer-overlay.test.ts inside `unshare -m` (and, for the rootless
// case, `unshare --user --map-root-user` as an unprivileged user). Builds a
// base layer, then for each step mounts a REAL overlay (parent snapshots as
// lower dirs, fresh upper), changes files through the merged dir, turns the
// upper dir into a layer (diff → gzip → apply into a fresh snapshot), mounts
// the snapshots again read-only, and prints both views as JSON for the test
// to compare. Usage: bun layer-overlay-steps.ts WORKDIR root|userns
import { appendFileSync, chmodSync, chownSync, linkSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { applyLayer, decompressStream, diffUpperDir, encodeLayer, type XattrNamespace } from "../../src/layer/index.ts";
import { mknod, S_IFCHR, S_IFIFO, setXattr } from "../../src/layer/_sys.ts";
import { collect, readTar, streamOf } from "../unit/layer/_tar.ts";
import { buildTree, flattenTree, type Node } from "../unit/layer/_tree.ts";

const [work, mode] = process.argv.slice(2) as [string, "root" | "userns"];
const ns: XattrNamespace = mode === "root" ? "trusted" : "user";
// As real root, redirect_dir=off; with userxattr the kernel refuses "off" where it means
// "follow" (CONFIG_OVERLAY_FS_REDIRECT_ALWAYS_FOLLOW) and accepts only nofollow.
const options = mode === "root" ? "redirect_dir=off,metacopy=off,index=off" : "userxattr,redirect_dir=nofollow,metacopy=off,index=off";

function sh(argv: string[]): void {
  const r = Bun.spawnSync(argv, { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr.toString()}`);
}

const base: Node[] = [
  { path: "etc/motd", kind: "file", content: "welcome" },
  { path: "etc/passwd", kind: "file", content: "root:x:0:0\n" },
  { path: "etc/hostname", kind: "file", content: "box" },
  { path: "var/cache/apt/pkg", kind: "file", content: "deb" },
  { path: "data/keep/old1", kind: "file", content: "1" },
  { path: "data/keep/sub/old2", kind: "file", content: "2" },
  { path: "opt/app/bin/run", kind: "file", content: "#!/bin/sh", mode: 0o755 },
  { path: "opt/app/lib", kind: "symlink", target: "bin" },
  { path: "bin/tool", kind: "file", content: "tool", mode: 0o755 },
  { path: "bin/a", kind: "file", content: "shared" },
  { path: "bin/b", kind: "link", target: "bin/a" },
  { path: "tmp", kind: "dir", mode: 0o1777 },
  ...(mode === "root"
    ? ([
        { path: "srv/file", kind: "file", content: "s", uid: 33, gid: 33 },
        { path: "dev/null", kind: "char", major: 1, minor: 3, mode: 0o666 },
      ] satisfies Node[])
    : []),
];

/** Changes made through the merged dir, one function per step. */
const steps: ((m: string) => void)[] = [
  (m) => {
    rmSync(`${m}/etc/motd`);
    rmSync(`${m}/var/cache`, { recursive: true });
    rmSync(`${m}/data/keep`, { recursive: true }); // deleted and recreated in one step: must come out opaque
    mkdirSync(`${m}/data/keep`);
    writeFileSync(`${m}/data/keep/new`, "new");
    sh(["mv", `${m}/opt/app`, `${m}/opt/app2`]); // EXDEV with redirect_dir off: mv copies, then deletes
    renameSync(`${m}/etc/hostname`, `${m}/etc/hostname.old`);
    chmodSync(`${m}/bin/tool`, 0o4755); // metadata-only change: copied up whole
    appendFileSync(`${m}/etc/passwd`, "app:x:1000:1000\n");
    rmSync(`${m}/bin/b`); // one name of a hard-linked pair
    writeFileSync(`${m}/new.txt`, "fresh");
    setXattr(`${m}/new.txt`, "user.origin", new TextEncoder().encode("step1"));
    linkSync(`${m}/new.txt`, `${m}/new-link.txt`);
    symlinkSync("/etc/passwd", `${m}/passwd-link`);
    mknod(`${m}/tmp/fifo`, S_IFIFO | 0o640);
    writeFileSync(`${m}/tmp/scratch`, "x");
    rmSync(`${m}/tmp/scratch`); // created and deleted in the same step: leaves nothing
    if (mode === "root") {
      chownSync(`${m}/srv/file`, 1000, 1000);
      mknod(`${m}/dev/zero`, S_IFCHR | 0o666, 1, 5);
    }
  },
  (m) => {
    rmSync(`${m}/new.txt`); // from step 1
    rmSync(`${m}/etc/passwd`); // from the base, changed in step 1
    writeFileSync(`${m}/etc/motd`, "back again"); // deleted in step 1, recreated
    rmSync(`${m}/data/keep`, { recursive: true }); // opaque over two layers
    mkdirSync(`${m}/data/keep`);
    rmSync(`${m}/opt`, { recursive: true });
    mkdirSync(`${m}/var/cache/apt`, { recursive: true }); // a dir whose name was whited out below
  },
];

const snaps: string[] = []; // top-most first, as overlay's lowerdir wants them

async function commitLayer(upper: string, i: number): Promise<string[]> {
  const lowerDirs = [...snaps];
  const enc = encodeLayer(diffUpperDir(upper, { lowerDirs, xattrNamespace: ns }), "gzip");
  const blob = await collect(enc.stream);
  const { diffId } = await enc.done;
  const snap = `${work}/snap${i}`;
  const applied = await applyLayer(decompressStream(streamOf(blob)), snap, { xattrNamespace: ns });
  if (applied.diffId !== diffId) throw new Error(`diffId mismatch: ${applied.diffId} != ${diffId}`);
  snaps.unshift(snap);
  const { entries } = await readTar(new Uint8Array(Bun.gunzipSync(blob)));
  return entries.map((e) => `${e.name} ${e.type}`);
}

function mountOverlay(target: string, lower: string[], upper?: string): void {
  mkdirSync(target, { recursive: true });
  let opts = `lowerdir=${lower.join(":")},${options}`;
  if (upper) {
    mkdirSync(upper);
    mkdirSync(`${upper}.work`);
    opts += `,upperdir=${upper},workdir=${upper}.work`;
  }
  sh(["mount", "-t", "overlay", "overlay", "-o", opts, target]);
}

const results: { step: number; entries: string[]; merged: unknown; restacked: unknown }[] = [];
buildTree(`${work}/base`, base);
const baseEntries = await commitLayer(`${work}/base`, 0);
results.push({ step: 0, entries: baseEntries, merged: flattenTree(`${work}/base`, { mtime: true }), restacked: flattenTree(snaps[0]!, { mtime: true }) });
for (let i = 1; i <= steps.length; i++) {
  const merged = `${work}/merged${i}`;
  mountOverlay(merged, snaps, `${work}/upper${i}`);
  steps[i - 1]!(merged);
  const want = flattenTree(merged, { mtime: true });
  sh(["umount", merged]);
  const entries = await commitLayer(`${work}/upper${i}`, i);
  const view = `${work}/view${i}`;
  mountOverlay(view, snaps);
  const got = flattenTree(view, { mtime: true });
  sh(["umount", view]);
  results.push({ step: i, entries, merged: want, restacked: got });
}
console.log(JSON.stringify(results));
