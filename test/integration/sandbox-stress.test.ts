// 200 containers through the compiled kiln, four at a time: most run to
// completion (their output and exit status checked), every fifth is killed
// with SIGKILL at the kiln process while it runs. Afterwards no process of
// theirs is left and the host's mount table holds nothing of kiln's.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { canUnshare, isRoot, kilnExe, runKiln, skipReason, tempDir, type TempDir } from "../harness.ts";
import { ALPINE, kilnOk, noAlpine } from "../lib/alpine-store.ts";
import { hostMountsWith, processesWith, waitForOutput } from "./sandbox-cases.ts";

const skip = noAlpine || skipReason(!canUnshare || !isRoot, "the stress test runs as root (namespaces and overlay mounts)");
const TOTAL = 200;
const PARALLEL = 4;

describe.skipIf(skip)("stress", () => {
  let t: TempDir;
  const marker = `kiln-stress-${process.pid}`;
  beforeAll(async () => {
    t = tempDir("stress");
    await kilnOk(["import", ALPINE, "alpine:stress"], t.join("store"));
  });
  afterAll(() => t[Symbol.dispose]());

  test(`${TOTAL} containers, every fifth killed with SIGKILL at kiln: no process, no mount left`, async () => {
    const env = { ...process.env, KILN_ROOT: t.join("store") };
    const failures: string[] = [];
    const one = async (i: number) => {
      if (i % 5 === 0) {
        const p = Bun.spawn([kilnExe(), "run", "--rm", "alpine:stress", "sh", "-c", "echo ready; while :; do sleep 1; done", `${marker}-${i}`], { env, stdout: "pipe", stderr: "pipe" });
        const { text } = await waitForOutput(p.stdout, "ready");
        if (text !== "ready\n") failures.push(`#${i}: ${text}`);
        p.kill("SIGKILL");
        await p.exited;
        return;
      }
      const r = await runKiln(["run", "--rm", "alpine:stress", "sh", "-c", `echo ${i}; exit ${i % 3}`], { root: t.join("store") });
      if (r.stdout !== `${i}\n` || r.exitCode !== i % 3) failures.push(`#${i}: status ${r.exitCode}, out ${JSON.stringify(r.stdout)}, err ${r.stderr}`);
    };
    const started = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: PARALLEL }, async () => {
      while (next < TOTAL) await one(next++);
    }));
    const seconds = (performance.now() - started) / 1000;
    console.error(`stress: ${TOTAL} containers in ${seconds.toFixed(1)} s (${(TOTAL / seconds).toFixed(1)}/s, ${PARALLEL} at a time)`);
    expect(failures).toEqual([]);

    // SIGKILL reaches the containers through the parent-death signal chain;
    // the kernel needs a moment to tear the pid namespaces down.
    for (let i = 0; i < 250 && processesWith(marker).length > 0; i++) await Bun.sleep(20);
    expect(processesWith(marker)).toEqual([]);
    expect(processesWith(t.join("store"))).toEqual([]);
    expect(hostMountsWith(t.path)).toEqual([]);
    expect(hostMountsWith("kiln-stress")).toEqual([]);

    // The killed ones are recorded as exited (137), like containers of a killed docker daemon; rm removes them.
    const ps = await runKiln(["ps", "-a", "--format", "{{.Status}}"], { root: t.join("store") });
    const statuses = ps.stdout.trim().split("\n");
    expect(statuses.length).toBe(TOTAL / 5);
    expect(statuses.every((s) => s.startsWith("Exited (137)"))).toBe(true);
    const ids = (await runKiln(["ps", "-a", "-q"], { root: t.join("store") })).stdout.trim().split("\n");
    expect((await runKiln(["rm", ...ids], { root: t.join("store") })).exitCode).toBe(0);
    expect((await runKiln(["ps", "-a", "-q"], { root: t.join("store") })).stdout).toBe("");
  }, 600_000);
});
