// Owners where kiln's user namespace maps only one id (rootless without
// sub-ids): `unshare --user --map-root-user` gives exactly that mapping
// (0 → the caller, count 1), so each case runs in such a namespace. Files
// other ids own in the layer, or that COPY --chown names, become root's, and
// each call warns once; with every id mapped (real root) owners are kept.
import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { canUnshareUser, isRoot, skipReason, tempDir } from "../../harness.ts";
import { makeTar } from "./_tar.ts";

const LAYER_INDEX = new URL("../../../src/layer/index.ts", import.meta.url).pathname;
const skip = skipReason(!canUnshareUser || !isRoot, "owner squash tests need root and unprivileged user namespaces (unshare --user --map-root-user)");

const file = (name: string, uid: number, gid: number) => ({ h: { name, type: "file" as const, mode: 0o640, uid, gid, size: 2, mtime: 0 }, content: new TextEncoder().encode("x\n") });
const tarWith = (...entries: ReturnType<typeof file>[]) => makeTar(entries);

/** Runs `op` (applyLayer, copyIntoRoot or extractArchive) and prints { owners, warnings } as JSON. */
const script = (op: string) => `
const layer = await import(${JSON.stringify(LAYER_INDEX)});
const { lstatSync, readdirSync, mkdirSync, writeFileSync } = await import("node:fs");
const [dir] = process.argv.slice(2);
const warnings = [];
const onWarning = (w) => warnings.push(w === layer.SQUASHED_OWNERS_WARNING ? "squashed" : w);
${op}
const owners = {};
for (const n of readdirSync(dir + "/root").sort()) { const st = lstatSync(dir + "/root/" + n); owners[n] = st.uid + ":" + st.gid; }
console.log(JSON.stringify({ owners, warnings }));`;

const APPLY = `await layer.applyLayer(Bun.file(dir + "/layer.tar").stream(), dir + "/root", { xattrNamespace: "user", onWarning });`;
const APPLY_TWICE = `${APPLY}\nawait layer.applyLayer(Bun.file(dir + "/layer.tar").stream(), dir + "/root", { xattrNamespace: "user", onWarning });`;
const COPY = `mkdirSync(dir + "/root");
for (const [name, uid] of [["numeric", 1000], ["root", 0]]) layer.copyIntoRoot(dir + "/root", { dest: "/" + name, items: [{ path: dir + "/src", name: "src", kind: "file", perm: 0o644, mtime: 0 }], identity: { uid, gid: uid } }, onWarning);`;
const ADD = `mkdirSync(dir + "/root");
await layer.extractArchive(dir + "/root", dir + "/layer.tar", "/", onWarning);`;

describe.skipIf(skip)("owners in a user namespace that maps only one id", () => {
  const rows: { name: string; op: string; tar: Uint8Array; inNamespace: boolean; owners: Record<string, string>; warnings: string[] }[] = [
    { name: "applyLayer gives other ids' files to root, warning once", op: APPLY, tar: tarWith(file("shadow", 0, 42), file("app", 1000, 1000), file("mine", 0, 0)), inNamespace: true, owners: { app: "0:0", mine: "0:0", shadow: "0:0" }, warnings: ["squashed"] },
    { name: "applyLayer of a layer owned by root alone: no warning", op: APPLY, tar: tarWith(file("a", 0, 0)), inNamespace: true, owners: { a: "0:0" }, warnings: [] },
    { name: "each applyLayer call warns once (the store says it once per process)", op: APPLY_TWICE, tar: tarWith(file("shadow", 0, 42)), inNamespace: true, owners: { shadow: "0:0" }, warnings: ["squashed", "squashed"] },
    { name: "COPY --chown=1000 becomes root's, warning once; --chown=0 says nothing", op: COPY, tar: tarWith(), inNamespace: true, owners: { numeric: "0:0", root: "0:0" }, warnings: ["squashed"] },
    { name: "ADD of an archive with other owners", op: ADD, tar: tarWith(file("shadow", 0, 42), file("app", 1000, 1000)), inNamespace: true, owners: { app: "0:0", shadow: "0:0" }, warnings: ["squashed"] },
    { name: "as real root every owner is kept, no warning", op: APPLY, tar: tarWith(file("shadow", 0, 42), file("app", 1000, 1000)), inNamespace: false, owners: { app: "1000:1000", shadow: "0:42" }, warnings: [] },
  ];
  for (const r of rows) {
    test(r.name, () => {
      using d = tempDir("owner");
      writeFileSync(d.join("layer.tar"), r.tar);
      writeFileSync(d.join("src"), "x\n");
      writeFileSync(d.join("run.ts"), script(r.op));
      const ns = r.inNamespace ? ["unshare", "--user", "--map-root-user"] : [];
      const p = Bun.spawnSync([...ns, process.execPath, d.join("run.ts"), d.path], { stderr: "pipe" });
      expect(p.stderr.toString()).toBe("");
      expect(JSON.parse(p.stdout.toString())).toEqual({ owners: r.owners, warnings: r.warnings });
    });
  }
});
