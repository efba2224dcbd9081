// Rootless containers: the same behaviours as sandbox-run.test.ts, from a
// normal user that kiln's runner puts into its user namespace itself
// (ensureUserNamespace), once with a sub-id range (newuidmap/newgidmap map
// 65536 ids) and once without (only the user, as root). The test creates the
// two users and removes them afterwards.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chownSync, existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SQUASHED_OWNERS_WARNING } from "../../src/layer/index.ts";
import { canUnshareUser, cleanEnv, hasCommand, isRoot, kilnExe, skipReason, tempDir, type TempDir } from "../harness.ts";
import {
  ALPINE,
  asUserArgv,
  containerCases,
  containerSpec,
  listTree,
  makeImage,
  processesWith,
  runInRunner,
  startRunner,
  waitForOutput,
  type AsUser,
  type Mode,
} from "./sandbox-cases.ts";
import { privilegeCases } from "./sandbox-privilege-cases.ts";
import { seccompCases } from "./seccomp-probe.ts";

const skip = skipReason(
  !isRoot || !canUnshareUser || !ALPINE || !hasCommand("useradd") || !hasCommand("newuidmap") || !hasCommand("setpriv"),
  "rootless tests need root (to create test users), unprivileged user namespaces, useradd, uidmap, setpriv and the Alpine minirootfs",
);

function createUser(name: string, home: string, subIds: boolean): AsUser {
  // useradd gives every new user a free sub-id range; SUB_*_COUNT=0 gives none.
  const noSub = subIds ? [] : ["-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0"];
  const r = Bun.spawnSync(["useradd", "--no-create-home", "--home-dir", home, "--shell", "/bin/sh", ...noSub, name], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`useradd ${name}: ${r.stderr.toString()}`);
  const [uid, gid] = ["-u", "-g"].map((f) => Number(Bun.spawnSync(["id", f, name]).stdout.toString().trim()));
  mkdirSync(home, { recursive: true });
  chownSync(home, uid!, gid!);
  return { name, uid: uid!, gid: gid!, home };
}

const warnMarker = (u: AsUser) => `/tmp/kiln-${u.uid}-no-subids-warned`;

for (const mode of ["rootless", "rootless-root-only"] as Mode[]) {
  const withSubIds = mode === "rootless";
  describe.skipIf(skip)(`containers as a normal user, ${withSubIds ? "with" : "without"} sub-ids`, () => {
    let t: TempDir;
    let user: AsUser;
    let lowers: string[];
    beforeAll(() => {
      t = tempDir(`rootless-${withSubIds ? "subids" : "rootonly"}`);
      chownSync(t.path, 0, 0);
      Bun.spawnSync(["chmod", "755", t.path]);
      user = createUser(`kiln-t${withSubIds ? "s" : "n"}${process.pid}`, join(t.path, "home"), withSubIds);
      rmSync(warnMarker(user), { force: true });
      const work = join(t.path, "work");
      mkdirSync(work);
      chownSync(work, user.uid, user.gid);
      lowers = makeImage(join(work, "image"), user, withSubIds ? "subids" : "root-only");
    });
    afterAll(() => {
      if (user) {
        Bun.spawnSync(["pkill", "-KILL", "-u", String(user.uid)]);
        Bun.spawnSync(["userdel", user.name]);
        rmSync(warnMarker(user), { force: true });
      }
      t?.[Symbol.dispose]();
    });

    const dir = () => join(t.path, "work");

    for (const c of [...containerCases(expect), ...privilegeCases(expect), ...seccompCases(expect)]) {
      if (c.skip?.includes(mode)) continue;
      test(c.name, async () => {
        const spec = containerSpec(dir(), lowers, c.argv, c.over?.({ dir: dir() }) ?? {}, user);
        const r = await runInRunner(dir(), spec, { user });
        await c.check(r, { mode, spec, dir: dir(), lowerDirs: lowers, rootUid: user.uid });
      });
    }

    test("the store's files belong to the user or its sub-ids, never to root", () => {
      const owners = new Set(listTree(lowers[lowers.length - 1]!).map((p) => lstatSync(join(lowers[lowers.length - 1]!, p)).uid));
      const rootOwned = listTree(lowers[lowers.length - 1]!).filter((p) => lstatSync(join(lowers[lowers.length - 1]!, p)).uid === 0);
      expect(rootOwned).toEqual([]);
      expect(owners.has(user.uid)).toBe(true);
    });

    if (withSubIds) {
      test("chown to another id inside lands on the user's sub-id range outside", async () => {
        const spec = containerSpec(dir(), lowers, ["sh", "-c", "touch /owned && chown 100:101 /owned"], {}, user);
        const r = await runInRunner(dir(), spec, { user });
        expect(r.exitCode).toBe(0);
        const start = Number(readFileSync("/etc/subuid", "utf8").split("\n").find((l) => l.startsWith(`${user.name}:`))!.split(":")[1]);
        // uid 0 is the user; 1..65535 map onto the range from its start.
        expect(statSync(join(spec.rootfs.upperDir, "owned")).uid).toBe(start + 99);
      });
    } else {
      test("without sub-ids a chown to another id fails, and kiln warned about it once", async () => {
        expect(existsSync(warnMarker(user))).toBe(true);
        const spec = containerSpec(dir(), lowers, ["sh", "-c", "touch /owned && chown 100 /owned"], {}, user);
        const r = await runInRunner(dir(), spec, { user });
        expect(r.exitCode).toBe(1);
        expect(r.stderr).toContain("Invalid argument");
        expect(r.stderr).not.toContain("kiln: warning");
      });
    }

    test("SIGTERM sent to kiln reaches the container's process", async () => {
      const spec = containerSpec(dir(), lowers, ["sh", "-c", 'trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done'], {}, user);
      const p = startRunner(dir(), spec, { user });
      await waitForOutput(p.stdout, "ready");
      p.kill("SIGTERM");
      expect(await p.exited).toBe(42);
    });

    test("the kiln binary as this user: import, run, build, unshare, all in one user namespace per command", async () => {
      const root = join(user.home, ".local/share/kiln");
      const kiln = async (args: string[]) => {
        const p = Bun.spawn([...asUserArgv(user), kilnExe(), ...args], { stdout: "pipe", stderr: "pipe", env: cleanEnv({ HOME: user.home, KILN_ROOT: root }) });
        const [stdout, stderr, exitCode] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
        return { stdout, stderr, exitCode };
      };
      const imported = await kiln(["import", ALPINE!, "alpine:rl"]);
      expect(imported.exitCode).toBe(0);
      // Without sub-ids the sandbox's once-per-boot notice may come first (its marker is shared): count only ours.
      const squashWarnings = (stderr: string) => stderr.split(SQUASHED_OWNERS_WARNING).length - 1;
      // import extracts the layer (as docker import does): Alpine's /etc/shadow belongs to group 42,
      // kept with sub-ids; without them only root exists, and kiln says so once, there.
      expect(squashWarnings(imported.stderr)).toBe(withSubIds ? 0 : 1);
      const r = await kiln(["run", "--rm", "alpine:rl", "sh", "-c", "id -u; touch /x; hostname | wc -c; stat -c %g /etc/shadow"]);
      expect({ exitCode: r.exitCode, stdout: r.stdout }).toEqual({ exitCode: 0, stdout: `0\n13\n${withSubIds ? 42 : 0}\n` });
      if (withSubIds) expect(r.stderr).toBe("");
      else expect(squashWarnings(r.stderr)).toBe(0);
      expect((await kiln(["run", "--rm", "alpine:rl", "cat", "/etc/alpine-release"])).stdout).toBe("3.20.3\n");

      // A build on it: RUN, a plain COPY and two COPY --chown (each its own container, the warning still once).
      const ctx = join(user.home, "ctx");
      mkdirSync(ctx);
      writeFileSync(join(ctx, "a"), "a\n");
      writeFileSync(
        join(ctx, "Dockerfile"),
        ["FROM alpine:rl", "RUN touch /x", "COPY a /plain", "COPY --chown=1000:1000 a /numeric", "COPY --chown=daemon a /named", "RUN stat -c '%u:%g %n' /x /plain /numeric /named", ""].join("\n"),
      );
      for (const f of ["", "a", "Dockerfile"]) chownSync(join(ctx, f), user.uid, user.gid);
      const b = await kiln(["build", "-t", "rl-built", ctx]);
      expect(b.exitCode).toBe(0);
      const owners = withSubIds ? ["0:0 /x", "0:0 /plain", "1000:1000 /numeric", "2:2 /named"] : ["0:0 /x", "0:0 /plain", "0:0 /numeric", "0:0 /named"];
      expect(b.stdout).toContain(`${owners.join("\n")}\n`);
      expect(b.stdout).toContain("Successfully tagged rl-built:latest");
      expect(squashWarnings(b.stderr)).toBe(withSubIds ? 0 : 1);
      const map = await kiln(["unshare", "cat", "/proc/self/uid_map"]);
      const lines = map.stdout.trim().split("\n").map((l) => l.trim().split(/\s+/));
      expect(lines[0]).toEqual(["0", String(user.uid), "1"]);
      expect(lines.length).toBe(withSubIds ? 2 : 1);
      // Everything kiln wrote belongs to the user (or, with sub-ids, its range): nothing to root.
      const rootOwned = listTree(root).filter((p) => lstatSync(join(root, p)).uid === 0);
      expect(rootOwned).toEqual([]);
      expect((await kiln(["unshare", "rm", "-rf", root])).exitCode).toBe(0);
      expect(existsSync(root)).toBe(false);
    });

    test("kiln killed with SIGKILL: no container process survives", async () => {
      const marker = `kiln-rl-kill-${process.pid}-${mode}`;
      const spec = containerSpec(dir(), lowers, ["sh", "-c", "echo ready; while :; do sleep 1; done", marker], {}, user);
      const p = startRunner(dir(), spec, { user });
      await waitForOutput(p.stdout, "ready");
      p.kill("SIGKILL");
      await p.exited;
      for (let i = 0; i < 100 && processesWith(marker).length > 0; i++) await Bun.sleep(20);
      expect(processesWith(marker)).toEqual([]);
    });
  });
}
