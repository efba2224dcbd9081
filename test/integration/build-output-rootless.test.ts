// kiln build -o and -v as a normal user (kiln's rootless user namespace, with
// a sub-id range): -o DIR writes what it can — every file the user's, modes
// (setuid too) and links kept — and says that owners were not kept; -o
// type=tar keeps the image's owners; a -v dir of the user's gets the RUN's
// writes. The test creates the user and removes it afterwards.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, chownSync, copyFileSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { capture } from "../../src/util/spawn.ts";
import { canUnshareUser, hasCommand, isRoot, kilnExe, REPO, skipReason, tempDir, type TempDir } from "../harness.ts";
import { MINIROOTFS } from "./build-lib.ts";

const skip = skipReason(
  !isRoot || !canUnshareUser || !MINIROOTFS || !hasCommand("useradd") || !hasCommand("newuidmap") || !hasCommand("setpriv"),
  "rootless build -o/-v tests need root (to create a test user), unprivileged user namespaces, useradd, uidmap, setpriv and the Alpine minirootfs",
);

const DOCKERFILE = "FROM alpine:3.20\nRUN rm /etc/motd && echo hi > /hello && chown 12:34 /hello && cp /bin/busybox /suid && chmod 4755 /suid\n";

describe.skipIf(skip)("kiln build -o and -v, rootless", () => {
  let t: TempDir;
  let user: { name: string; uid: number; gid: number; home: string };
  const asUser = (argv: string[]) =>
    capture(["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--init-groups", kilnExe(), ...argv], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: user.home, USER: user.name, KILN_ROOT: join(user.home, "store") },
      cwd: user.home,
    });
  const mkdirAsUser = (p: string) => {
    mkdirSync(p, { recursive: true });
    chownSync(p, user.uid, user.gid);
  };

  beforeAll(async () => {
    t = tempDir("build-output-rootless");
    chownSync(t.path, 0, 0);
    chmodSync(t.path, 0o755);
    const name = `kiln-bo${process.pid}`;
    const home = join(t.path, "home");
    const r = Bun.spawnSync(["useradd", "--no-create-home", "--home-dir", home, "--shell", "/bin/sh", name], { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`useradd: ${r.stderr.toString()}`);
    const [uid, gid] = ["-u", "-g"].map((f) => Number(Bun.spawnSync(["id", f, name]).stdout.toString().trim()));
    user = { name, uid: uid!, gid: gid!, home };
    mkdirAsUser(home);
    for (const [dir, files] of [["alpine", {}], ["ctx", { Dockerfile: DOCKERFILE }], ["vctx", { Dockerfile: "FROM alpine:3.20\nRUN echo from-run > /mnt/v/out\n" }]] as const) {
      mkdirAsUser(join(home, dir));
      for (const [n, text] of Object.entries(files)) writeFileSync(join(home, dir, n), text);
    }
    copyFileSync(join(REPO, "examples/alpine/Dockerfile"), join(home, "alpine/Dockerfile"));
    copyFileSync(MINIROOTFS!, join(home, "alpine/alpine-minirootfs-3.20.3-x86_64.tar.gz"));
    Bun.spawnSync(["chown", "-R", `${uid}:${gid}`, home]);
    const base = await asUser(["build", "-q", "-t", "alpine:3.20", "alpine"]);
    if (base.exitCode !== 0) throw new Error(`building alpine:3.20 as ${name} failed: ${base.stderr}`);
  }, 120_000);

  afterAll(() => {
    if (user) {
      // The store holds the user's sub-ids' files: removed from inside its namespace first.
      Bun.spawnSync(["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--init-groups", kilnExe(), "unshare", "rm", "-rf", join(user.home, "store")], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: user.home } });
      Bun.spawnSync(["userdel", user.name]);
    }
    t?.[Symbol.dispose]();
  });

  test("-o DIR: the user's files, modes and whiteouts right, and a warning that owners were not kept", async () => {
    const r = await asUser(["build", "-o", "out", "ctx"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toContain("every file belongs to you");
    const out = join(user.home, "out");
    expect(lstatSync(join(out, "hello"))).toMatchObject({ uid: user.uid, gid: user.gid });
    expect(lstatSync(join(out, "suid")).mode & 0o7777).toBe(0o4755);
    expect(lstatSync(join(out, "etc/motd"), { throwIfNoEntry: false })).toBeUndefined();
    expect(readFileSync(join(out, "hello"), "utf8")).toBe("hi\n");
  }, 60_000);

  test("-o type=tar keeps the image's owners", async () => {
    const r = await asUser(["build", "-o", "type=tar,dest=fs.tar", "ctx"]);
    expect(r.exitCode, r.stderr).toBe(0);
    const list = await capture(["tar", "--numeric-owner", "-tvf", join(user.home, "fs.tar")]);
    expect(list.stdout).toMatch(/^-rw-r--r-- 12\/34 .* hello$/m);
    expect(list.stdout).toMatch(/^-rwsr-xr-x 0\/0 .* suid$/m);
  }, 60_000);

  test("-v: the RUN writes into the user's dir", async () => {
    mkdirAsUser(join(user.home, "vol"));
    const r = await asUser(["build", "-v", "./vol:/mnt/v", "vctx"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(readFileSync(join(user.home, "vol/out"), "utf8")).toBe("from-run\n");
    expect(lstatSync(join(user.home, "vol/out")).uid).toBe(user.uid);
  }, 60_000);
});
