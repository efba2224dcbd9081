// The layer codec against a REAL overlayfs: files are deleted, recreated,
// renamed, chmod'ed and hard-linked through a merged mount; the upper dir is
// diffed, compressed and applied into a fresh snapshot; the snapshots stacked
// again as read-only lower dirs must show exactly the merged view. Runs as
// real root (trusted.overlay.*) and rootless in a user namespace as an
// unprivileged user (userxattr, user.overlay.*). The work happens in
// layer-overlay-steps.ts inside `unshare -m`, so mounts die with it.
import { describe, expect, test } from "bun:test";
import { chownSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { writeXattrWhiteout } from "../../src/layer/whiteout.ts";
import { canUnshare, canUnshareUser, hasCommand, isRoot, REPO, skipReason, tempDir } from "../harness.ts";

const STEPS = `${REPO}/test/integration/layer-overlay-steps.ts`;
const noRootOverlay = skipReason(!isRoot || !canUnshare, "real-root overlay test needs root and unshare -m");
const noUserns = skipReason(!canUnshareUser || (isRoot && !hasCommand("setpriv")), "rootless overlay test needs unprivileged user namespaces (and setpriv when run as root)");

interface StepResult {
  step: number;
  entries: string[];
  merged: Record<string, unknown>;
  restacked: Record<string, unknown>;
}

function runSteps(work: string, mode: "root" | "userns"): StepResult[] {
  const bun = process.execPath;
  const argv =
    mode === "root"
      ? ["unshare", "--mount", "--propagation", "private", bun, STEPS, work, mode]
      : [...(isRoot ? ["setpriv", "--reuid", "1000", "--regid", "1000", "--clear-groups"] : []), "unshare", "--user", "--map-root-user", "--mount", bun, STEPS, work, mode];
  const r = Bun.spawnSync(argv, { stdout: "pipe", stderr: "pipe", cwd: REPO });
  if (r.exitCode !== 0) throw new Error(`layer-overlay-steps failed (${r.exitCode}):\n${r.stderr.toString()}`);
  return JSON.parse(r.stdout.toString()) as StepResult[];
}

function checkSteps(results: StepResult[], mode: "root" | "userns"): void {
  expect(results.map((r) => r.step)).toEqual([0, 1, 2]);
  for (const r of results) expect({ step: r.step, view: r.restacked }).toEqual({ step: r.step, view: r.merged });
  const [, one, two] = results as [StepResult, StepResult, StepResult];
  // Step 1: deletions of lower content are whiteouts, the recreated dir is opaque,
  // the scratch file created and deleted in the step left nothing.
  expect(one.entries).toContain("etc/.wh.motd file");
  expect(one.entries).toContain("var/.wh.cache file");
  expect(one.entries).toContain("data/keep/.wh..wh..opq file");
  expect(one.entries).toContain("opt/.wh.app file");
  expect(one.entries).toContain("etc/.wh.hostname file");
  expect(one.entries).toContain("bin/.wh.b file");
  expect(one.entries).toContain("new-link.txt file"); // byte order: "-" before "."
  expect(one.entries).toContain("new.txt link");
  expect(one.entries.filter((e) => e.includes("scratch"))).toEqual([]);
  expect(one.entries.indexOf("data/keep/.wh..wh..opq file")).toBe(one.entries.indexOf("data/keep/ dir") + 1);
  // Step 2: whiteouts for content of either layer below; opaque over both.
  expect(two.entries).toContain(".wh.new.txt file");
  expect(two.entries).toContain("etc/.wh.passwd file");
  expect(two.entries).toContain("etc/motd file");
  expect(two.entries).toContain("data/keep/.wh..wh..opq file");
  expect(two.entries).toContain(".wh.opt file");
  expect(one.merged["bin/tool"]).toMatchObject({ mode: "4755" });
  if (mode === "root") {
    expect(one.entries).toContain("dev/zero char");
    expect(one.merged["srv/file"]).toMatchObject({ uid: 1000, gid: 1000 });
  }
}

describe("layer codec against a real overlay mount", () => {
  test.skipIf(noRootOverlay)("as real root (trusted.overlay.*)", () => {
    using work = tempDir("layer-overlay-root");
    checkSteps(runSteps(work.path, "root"), "root");
    expect(readFileSync("/proc/mounts", "utf8")).not.toContain(work.path);
  });

  test.skipIf(noUserns)("rootless, in a user namespace (userxattr, user.overlay.*)", () => {
    using work = tempDir("layer-overlay-userns");
    if (isRoot) chownSync(work.path, 1000, 1000);
    checkSteps(runSteps(work.path, "userns"), "userns");
    expect(readFileSync("/proc/mounts", "utf8")).not.toContain(work.path);
  });
});

// applyLayer falls back to the xattr whiteout form when mknod 0:0 is refused
// (it is not, on this kernel: the test above shows char 0:0 whiteouts made in
// a user namespace). Check that overlayfs honours that form as written.
describe("the xattr whiteout form (applyLayer's fallback) hides lower files", () => {
  const modes = [
    { name: "real root, trusted.overlay.whiteout", ns: "trusted" as const, skip: noRootOverlay },
    { name: "user namespace, user.overlay.whiteout", ns: "user" as const, skip: noUserns },
  ];
  for (const m of modes) {
    test.skipIf(m.skip)(m.name, () => {
      using work = tempDir("layer-xwhiteout");
      for (const dir of ["lower0", "lower1/d", "merged"]) mkdirSync(work.join(dir), { recursive: true });
      mkdirSync(work.join("lower0/d"));
      writeFileSync(work.join("lower0/d/gone"), "x");
      writeFileSync(work.join("lower0/d/kept"), "x");
      writeXattrWhiteout(work.join("lower1/d/gone"), m.ns);
      const mount = `mount -t overlay overlay -o lowerdir=${work.join("lower1")}:${work.join("lower0")}${m.ns === "user" ? ",userxattr" : ""} ${work.join("merged")} && ls ${work.join("merged/d")}`;
      let argv = ["unshare", "--mount", "sh", "-c", mount];
      if (m.ns === "user") {
        if (isRoot) Bun.spawnSync(["chown", "-R", "1000:1000", work.path]);
        argv = [...(isRoot ? ["setpriv", "--reuid", "1000", "--regid", "1000", "--clear-groups"] : []), "unshare", "--user", "--map-root-user", "--mount", "sh", "-c", mount];
      }
      const r = Bun.spawnSync(argv, { stderr: "pipe" });
      expect(r.stderr.toString()).toBe("");
      expect(r.stdout.toString().trim().split("\n")).toEqual(["kept"]);
    });
  }
});
