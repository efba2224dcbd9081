// --shm-size and --ulimit of `kiln run` and `kiln build`, through the compiled
// binary on a private store seeded with the Alpine minirootfs: what the
// container's shell sees (ulimit -n/-Hn, df of /dev/shm), that the build's
// RUN containers get the same, that they stay out of the build cache key
// (as Docker's), and the usage errors. The rootless EPERM message is a row of
// sandbox-cases.ts (rootless.test.ts runs it as a normal user).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { canUnshare, isRoot, runKiln, skipReason, tempDir, writeTree, type TempDir } from "../harness.ts";
import { ALPINE, kilnOk, noAlpine } from "../lib/alpine-store.ts";
import { hasSysResource, hostHardNofile } from "./sandbox-cases.ts";

const skip = noAlpine || skipReason(!canUnshare || !isRoot, "kiln run/build limit tests run as root here (rootless: rootless.test.ts)");

/** `df -k /dev/shm` → its size in KiB (busybox: Filesystem 1K-blocks Used Available Use% Mounted on). */
const SHM_KIB = "df -k /dev/shm | tail -n 1 | awk '{print $2}'";

describe.skipIf(skip)("--shm-size and --ulimit", () => {
  let t: TempDir;
  const root = () => t.join("store");
  const kiln = (args: string[]) => runKiln(args, { root: root() });

  beforeAll(async () => {
    t = tempDir("run-limits");
    await kilnOk(["import", ALPINE, "alpine:3.20"], root());
  });
  afterAll(() => t[Symbol.dispose]());

  const raised = hostHardNofile() + 1000;
  const runRows: [string, string[], string][] = [
    ["--ulimit nofile=SOFT:HARD", ["--ulimit", "nofile=1024:2048", "alpine:3.20", "sh", "-c", "ulimit -n; ulimit -Hn"], "1024\n2048\n"],
    ["--ulimit without HARD sets both", ["--ulimit", "nofile=300", "alpine:3.20", "sh", "-c", "ulimit -n; ulimit -Hn"], "300\n300\n"],
    ["several --ulimit, unlimited by name", ["--ulimit", "core=unlimited", "--ulimit", "nproc=50:60", "alpine:3.20", "sh", "-c", "ulimit -c; ulimit -Hu"], "unlimited\n60\n"],
    ["--shm-size 128m", ["--shm-size", "128m", "alpine:3.20", "sh", "-c", SHM_KIB], "131072\n"],
    ["--shm-size 1g", ["--shm-size", "1g", "alpine:3.20", "sh", "-c", SHM_KIB], "1048576\n"],
    ["/dev/shm is 64 MiB by default", ["alpine:3.20", "sh", "-c", SHM_KIB], "65536\n"],
  ];
  for (const [name, args, stdout] of runRows) {
    test(`kiln run ${name}`, async () => {
      const r = await kiln(["run", "--rm", ...args]);
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(stdout);
      expect(r.exitCode).toBe(0);
    });
  }

  test("raising a hard limit: applied with CAP_SYS_RESOURCE, else an error naming the limit and the maximum", async () => {
    const hard = hostHardNofile();
    const r = await kiln(["run", "--rm", "--ulimit", `nofile=1024:${raised}`, "alpine:3.20", "sh", "-c", "ulimit -Hn"]);
    if (hasSysResource()) {
      expect([r.exitCode, r.stdout]).toEqual([0, `${raised}\n`]);
    } else {
      // Docker's status for a container that could not start.
      expect(r.exitCode).toBe(125);
      expect(r.stderr).toBe(
        `Error: cannot set ulimit nofile=1024:${raised}: the hard limit may not be raised above the current maximum of ${hard}\n` +
          `hint: ask for at most ${hard}, or raise the hard limit before starting kiln (ulimit -H, limits.conf): raising it needs CAP_SYS_RESOURCE on the host, which rootless kiln never has\n`,
      );
    }
  });

  test("kiln build: every RUN container gets them; they are not part of the cache key", async () => {
    using ctx = tempDir("run-limits-ctx");
    writeTree(ctx.path, { Dockerfile: `FROM alpine:3.20\nRUN ulimit -n; ulimit -Hn; ${SHM_KIB}\nRUN ulimit -Hn > /hard\n` });
    const build = (extra: string[]) => kiln(["build", "--progress", "plain", "-t", "limits:1", ...extra, ctx.path]);
    const first = await build(["--ulimit", "nofile=512:1024", "--shm-size", "32m"]);
    expect(first.exitCode).toBe(0);
    expect(first.stdout).toContain("512\n1024\n32768\n");
    expect((await kiln(["run", "--rm", "limits:1", "cat", "/hard"])).stdout).toBe("1024\n");
    // Other limits, same steps: Docker's builder answers from the cache too.
    const again = await build(["--ulimit", "nofile=100:200"]);
    expect(again.exitCode).toBe(0);
    expect(again.stdout.match(/ ---> Using cache/g)?.length).toBe(2);
  }, 60_000);

  const badRows: [string, string[], string][] = [
    ["--shm-size 0", ["--shm-size", "0"], 'Error: invalid --shm-size "0": the size must be greater than 0'],
    ["--shm-size with a bad unit", ["--shm-size", "64x"], 'Error: invalid --shm-size "64x": expected a size such as 64m or 1g (a number with an optional unit b, k, m, g)'],
    ["--ulimit soft above hard", ["--ulimit", "nofile=2048:1024"], 'Error: invalid --ulimit "nofile=2048:1024": the soft limit 2048 is greater than the hard limit 1024'],
    ["--ulimit with an unknown name", ["--ulimit", "files=1"], 'Error: invalid --ulimit "files=1": unknown limit "files" (valid: core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)'],
    ["--ulimit without a value", ["--ulimit", "nofile"], 'Error: invalid --ulimit "nofile": expected NAME=SOFT[:HARD], e.g. nofile=1024:2048'],
  ];
  for (const [name, flags, message] of badRows) {
    test(`kiln run ${name}: exit 2, one line`, async () => {
      const r = await kiln(["run", "--rm", ...flags, "alpine:3.20", "true"]);
      expect([r.exitCode, r.stderr]).toEqual([2, `${message}\n`]);
    });
    test(`kiln build ${name}: exit 2, one line`, async () => {
      using ctx = tempDir("run-limits-bad", { Dockerfile: "FROM alpine:3.20\nRUN true\n" });
      const r = await kiln(["build", ...flags, ctx.path]);
      expect([r.exitCode, r.stderr, r.stdout]).toEqual([2, `${message}\n`, ""]);
    });
  }
});
