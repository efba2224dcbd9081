// PURE: how `kiln run` turns an image config and its flags into a process,
// with Docker's rules (moby daemon/commit.go `merge`, docker/cli
// opts/parse.go): ENTRYPOINT and CMD, -e/--env-file, -v.
import { resolve } from "node:path";
import { SandboxError, UsageError } from "../errors.ts";

/**
 * The argv of a container. Without --entrypoint: the image's ENTRYPOINT,
 * then the given command or else the image's CMD. Any --entrypoint
 * (even "") drops the image's CMD; "" also drops the ENTRYPOINT.
 */
export function resolveCommand(
  image: { entrypoint?: string[] | null; cmd?: string[] | null },
  flags: { entrypoint?: string; args: string[] },
): string[] {
  let entrypoint: string[];
  let cmd: string[];
  if (flags.entrypoint === undefined) {
    entrypoint = image.entrypoint ?? [];
    cmd = flags.args.length > 0 ? flags.args : (image.cmd ?? []);
  } else {
    entrypoint = flags.entrypoint === "" ? [] : [flags.entrypoint];
    cmd = flags.args;
  }
  const argv = [...entrypoint, ...cmd];
  if (argv.length === 0) {
    throw new SandboxError("E_SANDBOX", "No command specified", { hint: "Give a command after the image name, or use an image with CMD or ENTRYPOINT.", exitCode: 125 });
  }
  return argv;
}

/** `--env-file` lines: KEY=VALUE taken literally, a bare KEY takes the host's value, # comments. */
export function parseEnvFile(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/^\s+/, ""))
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/**
 * Merge environments in order (image, env files, -e): a later KEY replaces an
 * earlier one in place; a bare KEY takes `hostEnv`'s value and is dropped
 * when the host has none, as Docker does.
 */
export function mergeEnv(layers: string[][], hostEnv: Record<string, string | undefined>): string[] {
  const out = new Map<string, string>();
  for (const entries of layers) {
    for (const e of entries) {
      const eq = e.indexOf("=");
      const key = eq === -1 ? e : e.slice(0, eq);
      if (key === "") throw new UsageError(`invalid environment variable: ${e}`);
      if (eq !== -1) out.set(key, e);
      else if (hostEnv[key] !== undefined) out.set(key, `${key}=${hostEnv[key]}`);
      else out.delete(key);
    }
  }
  return [...out.values()];
}

/** `-v HOST:CONTAINER[:ro|rw]`, host path absolute or ./relative (resolved against `cwd`). */
export function parseVolume(spec: string, cwd: string): { source: string; target: string; readonly: boolean } {
  const parts = spec.split(":");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === "")) {
    throw new UsageError(`invalid volume specification: '${spec}'`, { hint: "Use -v HOST_PATH:CONTAINER_PATH[:ro]." });
  }
  const [host, target, opts = ""] = parts as [string, string, string?];
  let source = host;
  if (host === "." || host.startsWith("./") || host.startsWith("../")) source = resolve(cwd, host);
  else if (!host.startsWith("/")) {
    throw new UsageError(`named volumes are not supported: '${host}'`, { hint: "Give an absolute host path (or ./relative) to bind-mount." });
  }
  if (!target.startsWith("/")) throw new UsageError(`invalid mount path: '${target}' mount path must be absolute`);
  const options = opts.split(",").filter(Boolean);
  for (const o of options) {
    if (!["ro", "rw", "z", "Z"].includes(o)) throw new UsageError(`invalid mode: ${o}`, { hint: "Mount options are ro or rw." });
  }
  return { source, target, readonly: options.includes("ro") };
}

/**
 * `--security-opt` values kiln supports: only `seccomp=unconfined` (or
 * Docker's older `seccomp:unconfined`), which turns the default filter off.
 * Anything else (a profile file, apparmor=, label=, no-new-privileges) is
 * refused rather than silently ignored. Returns whether seccomp is off.
 */
export function parseSecurityOpts(opts: string[]): { seccompUnconfined: boolean } {
  let seccompUnconfined = false;
  for (const opt of opts) {
    const m = opt.match(/^([a-z-]+)[=:](.*)$/);
    if (m?.[1] === "seccomp" && m[2] === "unconfined") {
      seccompUnconfined = true;
      continue;
    }
    throw new SandboxError("E_SANDBOX", `--security-opt ${opt} is not supported`, {
      hint: "kiln supports --security-opt seccomp=unconfined only (no seccomp profile files, AppArmor, SELinux labels or no-new-privileges).",
      exitCode: 125,
    });
  }
  return { seccompUnconfined };
}
