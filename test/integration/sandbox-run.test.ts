// Real containers as real root: the Alpine minirootfs plus four layers, each
// container started by a runner process (sandbox-runner.ts) exactly as kiln
// starts it. The rootless variants of the same table are in rootless.test.ts.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canUnshare, isRoot, skipReason, tempDir, type TempDir } from "../harness.ts";
import {
  ALPINE,
  containerCases,
  containerSpec,
  hostMountsWith,
  listTree,
  makeImage,
  processesWith,
  runInRunner,
  startRunner,
  waitForOutput,
} from "./sandbox-cases.ts";
import { privilegeCases } from "./sandbox-privilege-cases.ts";
import { seccompCases } from "./seccomp-probe.ts";

const skip = skipReason(!isRoot || !canUnshare || !ALPINE, "sandbox-run needs root, unshare and the shared Alpine minirootfs");

describe.skipIf(skip)("containers as root", () => {
  let t: TempDir;
  let lowers: string[];
  beforeAll(() => {
    t = tempDir("sandbox-run");
    lowers = makeImage(join(t.path, "image"));
  });
  afterAll(() => t[Symbol.dispose]());

  for (const c of [...containerCases(expect), ...privilegeCases(expect), ...seccompCases(expect)]) {
    test(c.name, async () => {
      const over = c.over?.({ dir: t.path }) ?? {};
      const spec = containerSpec(t.path, lowers, c.argv, over);
      const r = await runInRunner(t.path, spec);
      await c.check(r, { mode: "root", spec, dir: t.path, lowerDirs: lowers, rootUid: 0 });
    });
  }

  test("SIGTERM sent to kiln reaches the container's process", async () => {
    const spec = containerSpec(t.path, lowers, ["sh", "-c", 'trap "exit 42" TERM; echo ready; while :; do sleep 0.05; done']);
    const p = startRunner(t.path, spec);
    await waitForOutput(p.stdout, "ready");
    p.kill("SIGTERM");
    expect(await p.exited).toBe(42);
  });

  test("FROM scratch (no lower dirs): a static binary runs, the upper dir stays clean", async () => {
    const bin = join(t.path, "scratch-layer");
    mkdirSync(bin, { recursive: true });
    writeFileSync(join(bin, "busybox"), readFileSync("/bin/busybox"), { mode: 0o755 });
    const spec = containerSpec(t.path, [bin], ["/busybox", "echo", "from scratch"]);
    const r = await runInRunner(t.path, spec);
    expect(r.stdout).toBe("from scratch\n");
    expect(listTree(spec.rootfs.upperDir)).toEqual([]);
    const empty = containerSpec(t.path, [], ["/nothing"]);
    expect((await runInRunner(t.path, empty)).exitCode).toBe(127);
  });

  test("many layers: a 120-layer stack mounts (fsconfig lowerdir+ past one page of options)", async () => {
    const many: string[] = [];
    for (let i = 0; i < 119; i++) {
      const d = join(t.path, "many", `layer-with-a-long-name-${i.toString().padStart(3, "0")}-${"x".repeat(40)}`);
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, `f${i}`), `${i}\n`);
      many.unshift(d);
    }
    const spec = containerSpec(t.path, [...many, lowers[lowers.length - 1]!], ["sh", "-c", "cat /f0 /f118; ls / | grep -c '^f'"]);
    const r = await runInRunner(t.path, spec);
    expect(r.stdout).toBe("0\n118\n119\n");
  });

  test("ops: the handler writes into the root, sees extraRootfs read-only; errors keep class, code, message, hint", async () => {
    const src = join(t.path, "op-src");
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, "hello"), " and extra");
    const spec = containerSpec(t.path, lowers, [], {
      process: { kind: "op", op: "write-file", payload: { path: "/from-op", content: "written" } },
      extraRootfs: { src: [src] },
    });
    const r = await runInRunner(t.path, spec);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(listTree(spec.rootfs.upperDir)).toEqual(["from-op"]);
    expect(readFileSync(join(spec.rootfs.upperDir, "from-op"), "utf8")).toBe("written and extra");

    const failing = containerSpec(t.path, lowers, [], { process: { kind: "op", op: "fail", payload: null } });
    const f = await runInRunner(t.path, failing);
    expect(f.exitCode).toBe(125);
    const err = JSON.parse(f.stderr.slice(f.stderr.indexOf("{")));
    expect(err).toEqual({ name: "StoreError", code: "E_STORE", message: "the op failed on purpose", hint: "this is the hint" });
  });

  test("setup errors are SandboxErrors with a hint (unknown user)", async () => {
    const spec = containerSpec(t.path, lowers, [], { process: { kind: "exec", argv: ["id"], env: [], cwd: "/", user: "nosuchuser" } });
    const r = await runInRunner(t.path, spec);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain('"name":"SandboxError"');
    expect(r.stderr).toContain("unable to find user nosuchuser: no matching entries in passwd file");
  });

  test("kiln killed with SIGKILL: the container dies with it, nothing stays mounted", async () => {
    const marker = `kiln-sigkill-${process.pid}`;
    const spec = containerSpec(t.path, lowers, ["sh", "-c", "echo ready; while :; do sleep 1; done", marker]);
    const p = startRunner(t.path, spec);
    await waitForOutput(p.stdout, "ready");
    expect(processesWith(marker).length).toBeGreaterThan(0);
    p.kill("SIGKILL");
    await p.exited;
    // The pid namespace goes down with its pid 1; give the kernel a moment to reap.
    for (let i = 0; i < 100 && processesWith(marker).length > 0; i++) await Bun.sleep(20);
    expect(processesWith(marker)).toEqual([]);
    expect(hostMountsWith(t.path)).toEqual([]);
    rmSync(spec.rootfs.workDir, { recursive: true, force: true });
  });
});
