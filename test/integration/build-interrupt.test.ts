// An interrupted build (^C, SIGTERM, SIGHUP to kiln) stops as Docker's does:
// the running step's container is killed even when its pid 1 ignores the
// signal (a `sleep` as pid 1 does), nothing after it runs or is committed,
// and the store is left usable with no mounts, temp dirs or processes.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanEnv, kilnExe, skipReason, tempDir, writeTree } from "../harness.ts";
import { cannotBuild, cannotBuildReason, openBuildStore, type BuildStore } from "./build-lib.ts";

const skip = skipReason(cannotBuild, cannotBuildReason);

/** Processes whose command line holds `marker` (the step's `sleep`), by pid. */
function processesWith(marker: string): number[] {
  return readdirSync("/proc")
    .filter((n) => /^\d+$/.test(n))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);
}

const kilnMounts = () => readFileSync("/proc/mounts", "utf8").split("\n").filter((l) => l.includes("kiln"));

// [name, signal, exit status, Dockerfile (SLEEP is replaced by a sleep unique to the row), line of the interrupted step]
const rows: [string, NodeJS.Signals, number, string, number][] = [
  ["^C during a RUN whose pid 1 ignores it", "SIGINT", 130, "FROM alpine:3.20\nRUN SLEEP\nRUN touch /never", 2],
  ["SIGTERM during a RUN", "SIGTERM", 143, "FROM alpine:3.20\nRUN echo first > /first\nRUN SLEEP\nRUN touch /never", 3],
  ["SIGHUP during a RUN in a shell", "SIGHUP", 129, "FROM alpine:3.20\nRUN SLEEP; echo done", 2],
  ["^C with two stages running at once", "SIGINT", 130, "FROM alpine:3.20 AS a\nRUN SLEEP\nFROM alpine:3.20 AS b\nRUN SLEEP\nFROM alpine:3.20\nCOPY --from=a /etc/hostname /a\nCOPY --from=b /etc/hostname /b", 2],
];

describe.skipIf(skip)("an interrupted build stops and leaves the store clean", () => {
  let store: BuildStore;
  beforeAll(async () => {
    store = await openBuildStore("interrupt");
  }, 60_000);
  afterAll(() => store?.[Symbol.dispose]());

  for (const [i, [name, signal, status, dockerfile, line]] of rows.entries()) {
    test(name, async () => {
      const sleep = `sleep 4${i}${process.pid % 1000}`;
      using ctx = tempDir("interrupt-ctx");
      writeTree(ctx.path, { Dockerfile: dockerfile.replaceAll("SLEEP", sleep) });
      const proc = Bun.spawn([kilnExe(), "build", "--progress", "plain", ctx.path], { env: cleanEnv({ KILN_ROOT: store.root }), stdout: "pipe", stderr: "pipe" });
      const stdout = new Response(proc.stdout).text();
      const stderr = new Response(proc.stderr).text();
      // Send the signal once the step's command runs.
      for (let t = 0; processesWith(sleep).length === 0; t++) {
        if (t > 400) throw new Error(`the step never started: ${await stderr}`);
        await Bun.sleep(25);
      }
      proc.kill(signal);
      const exitCode = await proc.exited;
      const [out, err] = [await stdout, await stderr];
      expect({ exitCode, err: err.includes(`Dockerfile:${line}: build interrupted (${signal})`) }).toEqual({ exitCode: status, err: true });
      expect(out).not.toContain("Successfully built");
      expect(out).not.toMatch(/^done$/m);
      expect(processesWith(sleep)).toEqual([]);
      expect(kilnMounts()).toEqual([]);
      expect(readdirSync(join(store.root, "tmp")).filter((n) => !n.startsWith("."))).toEqual([]);
    }, 30_000);
  }

  test("the store is usable afterwards: the same build runs to the end, with the steps before the interruption cached", async () => {
    const r = await store.build("FROM alpine:3.20\nRUN echo first > /first\nRUN echo next > /next");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/Step 2\/3 : RUN echo first > \/first\n ---> Using cache/);
    expect(r.stdout).toContain("Successfully built");
  }, 30_000);
});
