// The host side of a container before it starts: its runtime dir (holding
// the InitSpec file) and every decision the init should not have to take
// (hostname, /etc file contents, init-layer entries, userxattr, devpts gid,
// lower-dir order, read-only overlays for extraRootfs).
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, posix } from "node:path";
import { SandboxError } from "../errors.ts";
import { isRealRoot } from "../util/userns.ts";
import { resolveCapabilities } from "./capabilities.ts";
import type * as Seccomp from "./seccomp.ts";
import { etcFiles } from "./etc-files.ts";
import type { ContainerSpec, InitLayerEntry, InitSpec, OverlaySpec, ScratchSpec } from "./spec.ts";

/** fd of the status pipe in the init (the fourth stdio entry of the spawn). */
export const STATUS_FD = 3;
/** gid of the "tty" group, owner of terminals in Debian, Alpine and most images. */
const TTY_GID = 5;

/** Is `id` inside one of the ranges of a /proc/self/{uid,gid}_map? */
export function isIdMapped(mapText: string, id: number): boolean {
  return mapText
    .trim()
    .split("\n")
    .some((line) => {
      const [inner, , count] = line.trim().split(/\s+/).map(Number);
      return inner !== undefined && count !== undefined && id >= inner && id < inner + count;
    });
}

function gidMapped(gid: number): boolean {
  try {
    return isIdMapped(readFileSync("/proc/self/gid_map", "utf8"), gid);
  } catch {
    return true;
  }
}

function checkSpec(spec: ContainerSpec): void {
  if (!/^[0-9a-f]{64}$/.test(spec.id)) throw new SandboxError("E_SANDBOX", `invalid container id "${spec.id}": expected 64 hex digits`);
  for (const m of spec.mounts ?? []) {
    if (!m.target.startsWith("/")) {
      throw new SandboxError("E_SANDBOX", `invalid mount target "${m.target}": must be an absolute path`);
    }
    if (!existsSync(m.source)) {
      throw new SandboxError("E_SANDBOX", `invalid mount source "${m.source}": no such file or directory`, {
        hint: "Create it first, or give an existing host path.",
      });
    }
  }
  if (spec.process.kind === "exec" && !spec.process.cwd.startsWith("/")) {
    throw new SandboxError("E_SANDBOX", `the working directory "${spec.process.cwd}" is invalid: it needs to be an absolute path`);
  }
}

/** Mount points every exec container needs, plus its bind-mount targets. */
function initLayerEntries(spec: ContainerSpec, files: { target: string }[]): InitLayerEntry[] {
  const entries: InitLayerEntry[] = [
    { path: "/proc", kind: "dir", shadow: true },
    { path: "/dev", kind: "dir", shadow: true },
    { path: "/sys", kind: "dir", shadow: true },
    ...files.map((f): InitLayerEntry => ({ path: f.target, kind: "file", shadow: true })),
  ];
  for (const m of spec.mounts ?? []) {
    entries.push({ path: posix.normalize(m.target), kind: statSync(m.source).isDirectory() ? "dir" : "file", shadow: false });
  }
  return entries;
}

/**
 * Decide everything about `spec` the init should not have to, write the
 * InitSpec to runtime/spec.json (the file the init reads) and return it. An
 * exec container's files are made by the init on its scratch tmpfs over
 * `runtime`; here only the dirs an op needs are created.
 */
export function prepareInit(spec: ContainerSpec, runtime: string): InitSpec {
  checkSpec(spec);
  mkdirSync(spec.rootfs.upperDir, { recursive: true });
  mkdirSync(spec.rootfs.workDir, { recursive: true });
  const userxattr = !isRealRoot();
  const merged = join(runtime, "rootfs");
  const emptyDir = (n = 0) => {
    const dir = join(runtime, `empty${n}`);
    mkdirSync(dir, { recursive: true });
    return dir;
  };

  const lowerDirs = [...spec.rootfs.lowerDirs];
  let scratch: ScratchSpec | undefined;
  let hostname: string | undefined;
  if (spec.process.kind === "exec") {
    hostname = spec.hostname ?? spec.id.slice(0, 12);
    const files = etcFiles(hostname, spec.extraHosts);
    scratch = { dir: runtime, files, initLayer: { lowerDirs: spec.rootfs.lowerDirs, entries: initLayerEntries(spec, files) } };
    lowerDirs.unshift(join(runtime, "init"));
  } else {
    mkdirSync(merged);
    // Overlay needs at least one lower dir (FROM scratch has none): an empty dir fills in.
    if (lowerDirs.length === 0) lowerDirs.push(emptyDir());
  }
  const overlay: OverlaySpec = { lowerDirs, upperDir: spec.rootfs.upperDir, workDir: spec.rootfs.workDir, userxattr };

  const extra: InitSpec["extra"] = {};
  Object.entries(spec.extraRootfs ?? {}).forEach(([name, dirs], i) => {
    const target = join(runtime, "extra", String(i));
    mkdirSync(target, { recursive: true });
    // A read-only overlay needs two lower dirs at least.
    const lowers = [...dirs];
    for (let n = 0; lowers.length < 2; n++) lowers.push(emptyDir(n));
    extra[name] = { target, overlay: { lowerDirs: lowers, userxattr } };
  });

  const caps = spec.process.kind === "exec" ? resolveCapabilities(spec) : "all";
  const init: InitSpec = {
    statusFd: STATUS_FD,
    merged,
    scratch,
    overlay,
    extra,
    process: spec.process,
    hostname,
    network: spec.network,
    mounts: (spec.mounts ?? []).map((m) => ({ source: m.source, target: posix.normalize(m.target), readonly: m.readonly === true })),
    devptsGid: gidMapped(TTY_GID) ? TTY_GID : undefined,
    shmSize: spec.shmSize,
    ulimits: spec.ulimits,
    ...(spec.privileged ? { privileged: true } : {}),
    ...(caps !== "all" ? { capabilities: caps } : {}),
    ...(caps !== "all" && !spec.seccompUnconfined ? seccompFilter(caps) : {}),
  };
  writeFileSync(join(runtime, "spec.json"), JSON.stringify(init));
  return init;
}

const filters = new Map<string, string>();
/**
 * The filter for `caps`, base64, assembled once per capability set and
 * process; none where kiln has no table for the host. seccomp.ts is loaded
 * here, not statically: the init imports this module's barrel too.
 */
function seccompFilter(caps: readonly number[]): { seccomp?: string } {
  const { seccompArch, seccompProgram } = require("./seccomp.ts") as typeof Seccomp;
  const arch = seccompArch(process.arch);
  if (!arch) return {};
  const key = caps.join(",");
  let f = filters.get(key);
  if (!f) filters.set(key, (f = Buffer.from(seccompProgram(arch, caps)).toString("base64")));
  return { seccomp: f };
}
