// Several kiln processes on one store, and kiln processes killed mid-write:
// no lost tags, no torn files, and a store that keeps working (prune cleans up).
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Store } from "../../src/store/index.ts";
import { kilnExe, runKiln, tempDir } from "../harness.ts";
import { ALPINE, noAlpine, seedAlpine } from "../lib/alpine-store.ts";

const STORE_INDEX = new URL("../../src/store/index.ts", import.meta.url).pathname;

/** Run a script that gets `Store`, `importRootfs` and `root` in scope, in a child Bun process. */
function child(root: string, body: string) {
  const script = `const { Store, importRootfs } = await import(${JSON.stringify(STORE_INDEX)}); const root = ${JSON.stringify(root)};\n${body}`;
  return Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
}

async function finished(p: ReturnType<typeof child>): Promise<void> {
  const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()]);
  if (code !== 0) throw new Error(`child failed (${code}): ${err}`);
}

/** Wait until `cond` holds (checked every few ms), failing after `ms`. */
async function until(cond: () => boolean, what: string, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(2);
  }
}

const tmpEntries = (root: string, prefix: string) => readdirSync(join(root, "tmp")).filter((n) => n.startsWith(prefix));

describe.skipIf(noAlpine)("concurrent kiln processes", () => {
  test("two processes tagging while two import lose no tag", async () => {
    using dir = tempDir("conc");
    await seedAlpine(dir.path, ["base"]);
    const taggers = ["a", "b"].map((w) => child(dir.path, `const s = await Store.open({ root }); for (let i = 0; i < 25; i++) await s.tag("base", "t${w}:" + i); s.close();`));
    const importers = ["x", "y"].map((w) =>
      child(dir.path, `const s = await Store.open({ root }); await importRootfs(s, Bun.file(${JSON.stringify(ALPINE)}).stream(), { tags: ["imp-${w}"], message: "${w}" }); s.close();`),
    );
    await Promise.all([...taggers, ...importers].map(finished));
    using store = await Store.open({ root: dir.path });
    const names = (await store.listImages()).flatMap((r) => r.names);
    expect(names).toHaveLength(1 + 50 + 2);
    for (const w of ["a", "b"]) for (let i = 0; i < 25; i++) expect(names).toContain(`docker.io/library/t${w}:${i}`);
    expect(names).toContain("docker.io/library/imp-x:latest");
    expect(names).toContain("docker.io/library/imp-y:latest");
    expect(readdirSync(join(dir.path, "tmp"))).toEqual([]);
  }, 60_000);

  test("eight `kiln tag` commands at once all land", async () => {
    using dir = tempDir("conc");
    await seedAlpine(dir.path, ["base"]);
    kilnExe();
    const runs = await Promise.all(Array.from({ length: 8 }, (_, i) => runKiln(["tag", "base", `parallel:${i}`], { root: dir.path })));
    for (const r of runs) expect(r).toMatchObject({ exitCode: 0, stderr: "" });
    const out = (await runKiln(["images", "--format", "{{.Tag}}", "parallel"], { root: dir.path })).stdout;
    expect(out.trim().split("\n").sort()).toEqual(Array.from({ length: 8 }, (_, i) => String(i)).sort());
  }, 60_000);
});

describe.skipIf(noAlpine)("kiln killed with SIGKILL", () => {
  test("mid-import: the store still works and prune removes the half-written blob", async () => {
    using dir = tempDir("crash");
    const tar = readFileSync(ALPINE);
    const proc = Bun.spawn([kilnExe(), "import", "-", "half"], { env: { ...process.env, KILN_ROOT: dir.path }, stdin: "pipe", stdout: "pipe", stderr: "pipe" });
    proc.stdin.write(tar.subarray(0, tar.length / 2));
    await proc.stdin.flush();
    await until(() => existsSync(join(dir.path, "tmp")) && tmpEntries(dir.path, "blob-").some((n) => statSync(join(dir.path, "tmp", n)).size > 0), "a temp blob");
    proc.kill("SIGKILL");
    await proc.exited;
    expect(tmpEntries(dir.path, "blob-")).toHaveLength(1);

    const images = await runKiln(["images", "-q"], { root: dir.path });
    expect(images).toMatchObject({ exitCode: 0, stdout: "" });
    const prune = await runKiln(["prune"], { root: dir.path });
    expect(prune.exitCode).toBe(0);
    expect(prune.stdout).toMatch(/^Total reclaimed space: (?!0B)[\d.]+[kMG]?B\n$/);
    expect(readdirSync(join(dir.path, "tmp"))).toEqual([]);
    const again = await runKiln(["import", ALPINE, "whole"], { root: dir.path });
    expect(again.exitCode).toBe(0);
    expect((await runKiln(["images", "--format", "{{.Repository}}"], { root: dir.path })).stdout).toBe("whole\n");
  }, 60_000);

  test("mid-extraction: no half snapshot is ever visible, the next prepare works", async () => {
    using dir = tempDir("crash");
    await seedAlpine(dir.path, ["alpine"]);
    const p = child(dir.path, `const s = await Store.open({ root }); await s.prepareSnapshots(await s.getImage("alpine"));`);
    await until(() => tmpEntries(dir.path, "extract-").some((n) => existsSync(join(dir.path, "tmp", n, "etc"))), "an extraction in progress");
    p.kill("SIGKILL");
    await p.exited;
    expect(readdirSync(join(dir.path, "snapshots"))).toEqual([]);
    using store = await Store.open({ root: dir.path });
    const [lower] = await store.prepareSnapshots(await store.getImage("alpine"));
    expect(readFileSync(join(lower!, "etc/alpine-release"), "utf8")).toBe("3.20.3\n");
    store.close();
    using again = await Store.open({ root: dir.path });
    const report = await again.prune();
    expect(report).toMatchObject({ tempEntries: 1, snapshots: 0, failures: [] });
    expect(readdirSync(join(dir.path, "tmp"))).toEqual([]);
  }, 60_000);

  test("while tagging in a loop: index.json is never torn and the lock is released", async () => {
    using dir = tempDir("crash");
    await seedAlpine(dir.path, ["base"]);
    const p = child(dir.path, `const s = await Store.open({ root }); for (let i = 0; ; i++) await s.tag("base", "loop:" + i);`);
    await until(() => readFileSync(join(dir.path, "index.json"), "utf8").includes("loop:20"), "20 tags");
    p.kill("SIGKILL");
    await p.exited;
    const index = JSON.parse(readFileSync(join(dir.path, "index.json"), "utf8"));
    expect(index.manifests.length).toBeGreaterThan(20);
    const r = await runKiln(["tag", "base", "after:1"], { root: dir.path });
    expect(r).toMatchObject({ exitCode: 0, stderr: "" });
  }, 60_000);
});
