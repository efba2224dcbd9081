// The classic FROM alpine / RUN / CMD example (examples/hello) on an Alpine
// base that kiln itself builds from the official minirootfs: built and run
// by kiln as root, and again by a normal user with a sub-id range (rootless:
// kiln enters its own user namespace). No network is needed.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { capture } from "../../src/util/spawn.ts";
import { REPO, canUnshare, canUnshareUser, cleanEnv, hasCommand, isRoot, kilnExe, skipReason, tempDir } from "../harness.ts";
import { MINIROOTFS, buildAlpine, kiln, notImplemented } from "./e2e-lib.ts";

const noRun = await notImplemented("run");
const skipRoot = skipReason(!isRoot || !canUnshare || !MINIROOTFS || noRun, noRun ? "'kiln run' is not implemented yet" : "the hello e2e needs root, namespaces and the Alpine minirootfs (../shared/images)");
const skipRootless = skipReason(
  skipRoot || !canUnshareUser || !hasCommand("useradd") || !hasCommand("setpriv") || !hasCommand("newuidmap"),
  "the rootless hello e2e needs unprivileged user namespaces, useradd, setpriv and uidmap",
);

describe.skipIf(skipRoot)("examples/hello on kiln's alpine, as root", () => {
  const store = tempDir("e2e-hello");
  afterAll(() => store[Symbol.dispose]());

  test("alpine:3.20 from the minirootfs (FROM scratch / ADD / CMD), then the example", async () => {
    await buildAlpine(store.path);
    const b = await kiln(["build", "-t", "kiln-hello", join(REPO, "examples/hello")], { root: store.path });
    expect(b.stdout).toMatch(/Successfully tagged kiln-hello:latest\n$/);
    const r = await kiln(["run", "--rm", "kiln-hello"], { root: store.path });
    expect(r.stdout).toBe(`Hello from a container kiln built!\nbuilt by kiln on x86_64; the answer is 42.\n`);
  }, 120_000);
});

describe.skipIf(skipRootless)("examples/hello, rootless (a normal user with sub-ids)", () => {
  const t = tempDir("e2e-hello-rootless");
  const name = `kiln-e2e${process.pid}`;
  let env: Record<string, string>;
  let uid = 0;
  beforeAll(() => {
    Bun.spawnSync(["chmod", "755", t.path]);
    const home = t.join("home");
    const u = Bun.spawnSync(["useradd", "--no-create-home", "--home-dir", home, "--shell", "/bin/sh", name], { stderr: "pipe" });
    if (u.exitCode !== 0) throw new Error(`useradd: ${u.stderr.toString()}`);
    uid = Number(Bun.spawnSync(["id", "-u", name]).stdout.toString().trim());
    const gid = Number(Bun.spawnSync(["id", "-g", name]).stdout.toString().trim());
    for (const d of [home, t.join("ctx")]) {
      mkdirSync(d, { recursive: true });
      chownSync(d, uid, gid);
    }
    env = cleanEnv({ HOME: home, USER: name, KILN_ROOT: join(home, "store") });
  });
  afterAll(() => {
    Bun.spawnSync(["pkill", "-KILL", "-u", String(uid)]);
    Bun.spawnSync(["userdel", name]);
    t[Symbol.dispose]();
  });

  const asUser = (args: string[]) => capture(["setpriv", `--reuid=${uid}`, `--regid=${uid}`, "--init-groups", kilnExe(), ...args], { env });

  test("the user builds alpine and the example, and runs it", async () => {
    const ctx = t.join("ctx");
    for (const f of ["Dockerfile"]) await Bun.write(join(ctx, f), Bun.file(join(REPO, "examples/alpine", f)));
    await Bun.write(join(ctx, "alpine-minirootfs-3.20.3-x86_64.tar.gz"), Bun.file(MINIROOTFS!));
    for (const args of [["build", "-t", "alpine:3.20", ctx], ["build", "-t", "kiln-hello", join(REPO, "examples/hello")]]) {
      const r = await asUser(args);
      if (r.exitCode !== 0) throw new Error(`kiln ${args.join(" ")} as ${name} exited ${r.exitCode}: ${r.stderr}`);
    }
    const r = await asUser(["run", "--rm", "kiln-hello"]);
    expect(r.stdout).toContain("the answer is 42.");
  }, 180_000);
});
