import { describe, expect, test } from "bun:test";
import { chmodSync, chownSync, existsSync, linkSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { removeTree, treeSize } from "../../../src/store/tree.ts";
import { hasCommand, isRoot, skipReason, tempDir } from "../../harness.ts";

describe("treeSize", () => {
  test("counts regular file bytes once per inode, never through symlinks", () => {
    using dir = tempDir("tree");
    mkdirSync(dir.join("a/b"), { recursive: true });
    writeFileSync(dir.join("a/one"), "12345");
    writeFileSync(dir.join("a/b/two"), "123");
    linkSync(dir.join("a/one"), dir.join("a/hard"));
    symlinkSync("/etc", dir.join("a/link"));
    expect(treeSize(dir.join("a"))).toBe(8);
    expect(treeSize(dir.join("missing"))).toBe(0);
  });
});

const NOBODY = 65534;
const noSetpriv = skipReason(!isRoot || !hasCommand("setpriv"), "needs root and setpriv to act as an unprivileged owner");

describe("removeTree", () => {
  test.skipIf(noSetpriv)("an unprivileged owner removes its own read-only and 000 directories", async () => {
    using dir = tempDir("tree");
    const victim = dir.join("victim");
    mkdirSync(join(victim, "ro/none"), { recursive: true });
    writeFileSync(join(victim, "ro/none/file"), "x");
    writeFileSync(join(victim, "ro/file"), "y");
    for (const p of [victim, join(victim, "ro"), join(victim, "ro/none"), join(victim, "ro/none/file"), join(victim, "ro/file")]) chownSync(p, NOBODY, NOBODY);
    chmodSync(join(victim, "ro/none"), 0o000);
    chmodSync(join(victim, "ro"), 0o555);
    chmodSync(dir.path, 0o777);
    const tree = new URL("../../../src/store/tree.ts", import.meta.url).pathname;
    const script = `const { removeTree } = await import(${JSON.stringify(tree)}); removeTree(${JSON.stringify(victim)});`;
    const p = Bun.spawnSync(["setpriv", `--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups", process.execPath, "-e", script], { stderr: "pipe", env: { ...process.env, HOME: "/tmp" } });
    expect(p.stderr.toString()).toBe("");
    expect(p.exitCode).toBe(0);
    expect(existsSync(victim)).toBe(false);
  });

  test("a missing path is fine", () => {
    using dir = tempDir("tree");
    expect(() => removeTree(dir.join("nope"))).not.toThrow();
  });
});
