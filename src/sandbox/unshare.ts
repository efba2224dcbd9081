// PURE: the command lines that put kiln into namespaces. A Bun process is
// multi-threaded and cannot unshare(CLONE_NEWUSER) or fork into a new pid
// namespace itself, so util-linux `unshare` creates the namespaces and then
// execs kiln again in its hidden `__init` mode (or, for the user namespace,
// the same kiln command line again).

export interface HostTools {
  unshare: string;
  setpriv: string;
}

export const DEFAULT_TOOLS: HostTools = { unshare: "unshare", setpriv: "setpriv" };

/**
 * argv that runs kiln's init for a container.
 *
 * exec (a command in a container):
 * - `setpriv --pdeathsig KILL` first: when kiln dies (even by SIGKILL), the
 *   `unshare` process dies with it, and `--kill-child` takes the container's
 *   pid 1 down in turn; its pid namespace then kills everything else.
 * - `--mount --propagation private`: the overlay and every other mount live
 *   in a private mount namespace and vanish with it; nothing propagates back.
 * - `--pid --fork`: the command is pid 1 of its own pid namespace and gets
 *   its own /proc.
 * - `--uts --ipc`: its own hostname and SysV IPC; `--net` only for
 *   network "none" (an empty namespace with loopback).
 *
 * op (kiln's own code on the container root, e.g. COPY): a mount namespace
 * is enough and `unshare` execs the init without forking (one process less);
 * the init sets its own parent-death signal.
 */
export function containerArgv(mode: "exec" | "op", network: "host" | "none", init: string[], tools: HostTools = DEFAULT_TOOLS): string[] {
  const mountNs = ["--mount", "--propagation", "private"];
  if (mode === "op") return [tools.unshare, ...mountNs, "--", ...init];
  return [
    tools.setpriv, "--pdeathsig", "KILL", "--",
    tools.unshare, ...mountNs, "--pid", "--fork", "--kill-child", "--uts", "--ipc",
    ...(network === "none" ? ["--net"] : []),
    "--", ...init,
  ];
}

/**
 * argv that re-runs kiln inside a user namespace where the caller is root.
 * With sub-ids, `--map-auto` maps the caller's /etc/subuid and /etc/subgid
 * ranges (through the setuid newuidmap/newgidmap helpers) next to
 * `--map-root-user` (caller → 0), so images can own files as any id.
 * Without them only the caller is mapped: every file belongs to root.
 */
export function userNamespaceArgv(withSubIds: boolean, self: string[], unshare = DEFAULT_TOOLS.unshare): string[] {
  return [unshare, "--user", ...(withSubIds ? ["--map-auto"] : []), "--map-root-user", "--", ...self];
}
