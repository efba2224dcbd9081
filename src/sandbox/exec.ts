// The last steps of the init, inside the container root after pivot_root:
// the process environment, the executable's path, the credentials, execve.
// execve (rather than spawning a child) keeps the command as pid 1 of its pid
// namespace, as in Docker, and leaves no kiln process behind in the container.
import { limitBoundingSet, lowerCapabilities } from "./confine.ts";
import { applyUlimits } from "./limits.ts";
import { DEFAULT_PATH, type ExecProcess, type InitSpec } from "./spec.ts";
import { SysError, type Sys } from "./sys.ts";
import { resolveUser, type ExecUser } from "./user.ts";

/** Docker's additions to the environment: PATH when unset, HOSTNAME, TERM for a terminal, HOME from passwd. */
export function processEnv(proc: ExecProcess, user: ExecUser, hostname: string | undefined): string[] {
  const env = [...proc.env];
  const has = (key: string) => env.some((e) => e.startsWith(`${key}=`));
  if (!has("PATH")) env.unshift(`PATH=${DEFAULT_PATH}`);
  if (hostname !== undefined && !has("HOSTNAME")) env.push(`HOSTNAME=${hostname}`);
  if (proc.tty && !has("TERM")) env.push("TERM=xterm");
  if (!has("HOME")) env.push(`HOME=${user.home}`);
  return env;
}

/** execvp's search: a name with a slash is used as it is, otherwise each PATH entry in order. */
export function findExecutable(sys: Sys, name: string, env: string[]): string | undefined {
  if (name.includes("/")) return name;
  const path = env.findLast((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
  for (const dir of path.split(":")) {
    const candidate = `${dir || "."}/${name}`;
    if (sys.isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** Exit statuses Docker uses when the command cannot be started. */
const EXIT_NOT_FOUND = 127;
const EXIT_CANNOT_EXEC = 126;

function failExec(sys: Sys, message: string, code: number): never {
  sys.writeFd(2, `kiln: ${message}\n`);
  process.exit(code);
}

/**
 * Switch to the container user and exec the command (the working directory is
 * already set). Order matters: resource limits while still root (raising a
 * hard limit needs it), the capability bounding set (needs CAP_SETPCAP), then
 * supplementary groups and gid, uid (after setuid nothing else may be
 * changed), and last the thread's capability sets (`capabilities` undefined:
 * privileged, left as they are).
 * The seccomp filter goes in before all of these, as runc does without
 * no_new_privs: installing one needs CAP_SYS_ADMIN (in our user namespace)
 * or no_new_privs, and Docker does not set no_new_privs (it would stop
 * setuid binaries and file capabilities). Nothing the filter refuses is
 * called after it; it binds this thread only, the one that execs.
 */
export function execProcess(sys: Sys, spec: InitSpec & { process: ExecProcess }, onReady: () => void): never {
  const { process: proc, hostname, capabilities } = spec;
  const user = resolveUser(proc.user, sys.readFile("/etc/passwd"), sys.readFile("/etc/group"));
  const env = processEnv(proc, user, hostname);
  const argv0 = proc.argv[0];
  if (argv0 === undefined) failExec(sys, "no command specified", EXIT_CANNOT_EXEC);
  const path = findExecutable(sys, argv0, env);
  if (path === undefined) failExec(sys, `exec: "${argv0}": executable file not found in $PATH`, EXIT_NOT_FOUND);

  // Ignored signals survive execve: give the command the default dispositions Bun changed.
  sys.resetSignals();
  // The terminal, when there is one, becomes the controlling terminal of a new session.
  if (proc.tty) sys.takeTerminal(0);
  // As late as possible: a low limit (data, nofile) must not trip up kiln itself before execve.
  applyUlimits(sys, spec.ulimits ?? []);
  if (spec.seccomp) sys.installSeccompFilter(Buffer.from(spec.seccomp, "base64"));
  if (capabilities) limitBoundingSet(sys, capabilities);
  try {
    sys.setgroups(user.groups);
  } catch (err) {
    // Without sub-ids setgroups is denied in the user namespace ("deny" in
    // /proc/self/setgroups); root keeps its single group then.
    if (!(err instanceof SysError && err.code === "EPERM" && user.uid === 0)) throw err;
  }
  sys.setgid(user.gid);
  sys.setuid(user.uid);
  if (capabilities) lowerCapabilities(sys, capabilities, user.uid);
  // Only execve itself is left: the container counts as started.
  onReady();
  try {
    return sys.execve(path, proc.argv, env);
  } catch (err) {
    const code = err instanceof SysError ? err.code : "";
    if (code === "ENOENT") failExec(sys, `exec: "${argv0}": no such file or directory`, EXIT_NOT_FOUND);
    if (code === "EACCES" || code === "EPERM") failExec(sys, `exec: "${argv0}": permission denied`, EXIT_CANNOT_EXEC);
    if (code === "ENOEXEC") failExec(sys, `exec: "${argv0}": exec format error`, EXIT_CANNOT_EXEC);
    throw err;
  }
}
