// Shared helpers for kiln's tests: temporary dirs as Disposables, the kiln
// executable, a clean environment, and probes of what this host can do, so
// that tests skip (with a printed reason) rather than fail where a capability
// is missing.
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { capture, type Captured } from "../src/util/spawn.ts";

export const REPO = resolve(import.meta.dir, "..");
export const SHARED: string | undefined = (() => {
  const dir = process.env.KILN_SHARED ?? resolve(REPO, "../shared");
  return existsSync(join(dir, "conformance")) ? dir : undefined;
})();

/** Say once why a group of tests is skipped. */
export function skipReason(condition: boolean, reason: string): boolean {
  if (condition) console.error(`skip: ${reason}`);
  return condition;
}

export type Tree = Record<string, string | { symlink: string } | { mode: number; content: string }>;

export interface TempDir extends Disposable {
  path: string;
  join(...parts: string[]): string;
}

/** A temporary directory, optionally filled with `tree`, removed on dispose. */
export function tempDir(prefix: string, tree: Tree = {}): TempDir {
  const path = mkdtempSync(join(tmpdir(), `kiln-test-${prefix}-`));
  writeTree(path, tree);
  return {
    path,
    join: (...parts) => join(path, ...parts),
    [Symbol.dispose]() {
      rmSync(path, { recursive: true, force: true });
    },
  };
}

export function writeTree(root: string, tree: Tree): void {
  for (const [rel, spec] of Object.entries(tree)) {
    const p = join(root, rel);
    mkdirSync(dirname(p), { recursive: true });
    if (typeof spec === "string") writeFileSync(p, spec);
    else if ("symlink" in spec) symlinkSync(spec.symlink, p);
    else writeFileSync(p, spec.content, { mode: spec.mode });
  }
}

/** The environment for a kiln child: the caller's, minus KILN_* and CONSOLA_* settings. */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("KILN_") && !k.startsWith("CONSOLA_")) env[k] = v;
  }
  return { ...env, ...extra };
}

let built = false;
/** Path to the compiled kiln binary, building it once if it is missing or stale. */
export function kilnExe(): string {
  const exe = join(REPO, "dist/kiln");
  if (!built && process.env.KILN_TEST_NO_BUILD !== "1") {
    const r = Bun.spawnSync([process.execPath, "run", "scripts/build.ts"], { cwd: REPO, stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`building dist/kiln failed: ${r.stderr.toString()}`);
    built = true;
  }
  return exe;
}

export type KilnResult = Captured;

/** Run the compiled kiln with a private store. */
export async function runKiln(
  args: string[],
  opts: { root?: string; env?: Record<string, string>; stdin?: string | Uint8Array; cwd?: string } = {},
): Promise<KilnResult> {
  const env = cleanEnv(opts.env);
  if (opts.root) env.KILN_ROOT = opts.root;
  return capture([kilnExe(), ...args], { env, cwd: opts.cwd, stdin: opts.stdin });
}

function succeeds(argv: string[]): boolean {
  try {
    return Bun.spawnSync(argv, { stdout: "ignore", stderr: "ignore" }).exitCode === 0;
  } catch {
    return false;
  }
}

export const isRoot = process.getuid?.() === 0;
/** Can this host create mount+pid namespaces with the unshare tool? */
export const canUnshare = succeeds(["unshare", "--mount", "--pid", "--fork", "true"]);
/** Can an unprivileged user namespace be created here? */
export const canUnshareUser = succeeds(["unshare", "--user", "--map-root-user", "true"]);
export const hasCommand = (name: string): boolean => Bun.which(name) !== null || existsSync(`/usr/sbin/${name}`);
