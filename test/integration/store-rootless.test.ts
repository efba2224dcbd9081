// The store as a normal user with a sub-id range: the default location
// (~/.local/share/kiln), snapshots whose files belong to the user's sub-ids
// (extracted inside kiln's user namespace), and `kiln prune`, which has to
// enter that namespace to delete them. The test creates the user and removes it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pack } from "tar-stream";
import { canUnshareUser, hasCommand, isRoot, kilnExe, skipReason, tempDir, type TempDir } from "../harness.ts";

const skip = skipReason(
  !isRoot || !canUnshareUser || !hasCommand("useradd") || !hasCommand("newuidmap") || !hasCommand("setpriv"),
  "rootless store tests need root (to create a test user), unprivileged user namespaces, useradd, uidmap and setpriv",
);
const STORE_INDEX = new URL("../../src/store/index.ts", import.meta.url).pathname;
const SANDBOX_INDEX = new URL("../../src/sandbox/index.ts", import.meta.url).pathname;

/** A rootfs tar with a directory and file owned by uid/gid 1000 inside the image. */
async function rootfsTar(): Promise<Uint8Array> {
  const p = pack();
  const chunks: Uint8Array[] = [];
  const done = (async () => {
    for await (const c of p as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
  })();
  const add = (h: Parameters<typeof p.entry>[0], body = "") => new Promise<void>((res, rej) => p.entry(h, body, (e) => (e ? rej(e) : res())));
  await add({ name: "etc/", type: "directory", mode: 0o755, uid: 0, gid: 0 });
  await add({ name: "etc/hostname", type: "file", mode: 0o644, uid: 0, gid: 0 }, "kiln\n");
  await add({ name: "home/", type: "directory", mode: 0o755, uid: 0, gid: 0 });
  await add({ name: "home/app/", type: "directory", mode: 0o755, uid: 1000, gid: 1000 });
  await add({ name: "home/app/data", type: "file", mode: 0o600, uid: 1000, gid: 1000 }, "secret\n");
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

describe.skipIf(skip)("the store as a normal user", () => {
  let t: TempDir;
  let user: { name: string; uid: number; gid: number; home: string };
  const store = () => join(user.home, ".local/share/kiln");

  /** Run argv as the test user, with a clean environment (no KILN_ROOT: the default store). */
  const asUser = (argv: string[]) => {
    const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: user.home, USER: user.name };
    const p = Bun.spawnSync(["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--init-groups", ...argv], { env, cwd: user.home, stdout: "pipe", stderr: "pipe" });
    return { exitCode: p.exitCode, stdout: p.stdout.toString(), stderr: p.stderr.toString() };
  };

  beforeAll(async () => {
    t = tempDir("store-rootless");
    chownSync(t.path, 0, 0);
    chmodSync(t.path, 0o755);
    const name = `kiln-st${process.pid}`;
    const home = join(t.path, "home");
    const r = Bun.spawnSync(["useradd", "--no-create-home", "--home-dir", home, "--shell", "/bin/sh", name], { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`useradd: ${r.stderr.toString()}`);
    const [uid, gid] = ["-u", "-g"].map((f) => Number(Bun.spawnSync(["id", f, name]).stdout.toString().trim()));
    mkdirSync(home);
    chownSync(home, uid!, gid!);
    user = { name, uid: uid!, gid: gid!, home };
    writeFileSync(join(home, "rootfs.tar"), await rootfsTar());
    // Extract the image's snapshots inside kiln's user namespace, as `kiln run` will.
    writeFileSync(
      join(home, "prepare.ts"),
      `const { ensureUserNamespace } = await import(${JSON.stringify(SANDBOX_INDEX)});
       await ensureUserNamespace();
       const { Store } = await import(${JSON.stringify(STORE_INDEX)});
       using s = await Store.open();
       console.log(JSON.stringify(await s.prepareSnapshots(await s.getImage("app"))));`,
    );
    // The same prune without entering the namespace: the outside user may not delete its sub-ids' files.
    writeFileSync(
      join(home, "prune-outside.ts"),
      `const { Store } = await import(${JSON.stringify(STORE_INDEX)});
       using s = await Store.open();
       console.log(JSON.stringify(await s.prune()));`,
    );
    kilnExe();
  });

  afterAll(() => {
    if (user) Bun.spawnSync(["userdel", user.name]);
    t?.[Symbol.dispose]();
  });

  test("import goes to ~/.local/share/kiln, owned by the user", () => {
    const r = asUser([kilnExe(), "import", "rootfs.tar", "app"]);
    expect(r).toMatchObject({ exitCode: 0, stderr: "" });
    expect(r.stdout).toMatch(/^sha256:[a-f0-9]{64}\n$/);
    expect(lstatSync(join(store(), "index.json")).uid).toBe(user.uid);
  });

  test("snapshots extracted in the user namespace belong to the user's sub-ids", () => {
    const r = asUser([process.execPath, "prepare.ts"]);
    expect(r.stderr).toBe("");
    const [lower] = JSON.parse(r.stdout) as string[];
    expect(lstatSync(join(lower!, "etc/hostname")).uid).toBe(user.uid); // root inside = the user outside
    const data = lstatSync(join(lower!, "home/app/data")).uid;
    expect(data).not.toBe(user.uid);
    expect(data).not.toBe(0);
  });

  test("outside the namespace, prune reports what it could not remove (and keeps going)", () => {
    expect(asUser([kilnExe(), "rmi", "app"]).exitCode).toBe(0);
    const r = asUser([process.execPath, "prune-outside.ts"]);
    expect(r.stderr).toBe("");
    const report = JSON.parse(r.stdout);
    expect(report.failures).toHaveLength(1);
    expect(report.failures[0]).toMatch(/: EACCES$/);
    expect(report.blobs).toBe(3);
  });

  test("kiln prune enters the namespace and removes sub-id-owned snapshots", () => {
    const r = asUser([kilnExe(), "prune"]);
    expect(r.stderr).toBe("");
    expect(r).toMatchObject({ exitCode: 0 });
    expect(r.stdout).toMatch(/^Total reclaimed space: [1-9]/);
    expect(readdirSync(join(store(), "snapshots"))).toEqual([]);
    expect(readdirSync(join(store(), "tmp"))).toEqual([]);
    expect(existsSync(join(store(), "blobs/sha256")) && readdirSync(join(store(), "blobs/sha256"))).toEqual([]);
  });
});
