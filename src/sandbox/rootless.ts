// Rootless kiln: a normal user runs everything that touches the store inside
// one user namespace where it is root. kiln re-executes itself once, through
// `unshare --user --map-auto --map-root-user` (newuidmap/newgidmap map the
// user's /etc/subuid and /etc/subgid ranges), with KILN_IN_USERNS=1 so the
// inner kiln does not do it again. The re-exec is an execve in place: same
// pid, same stdio, exit status and signals need no relaying.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { HostError } from "../errors.ts";
import { which } from "../util/spawn.ts";
import { LibcSys } from "./ffi.ts";
import { userNamespaceArgv } from "./unshare.ts";

export interface SubIdRange {
  start: number;
  count: number;
}

/** The first range of `user` (name or uid) in an /etc/subuid or /etc/subgid text. */
export function findSubIdRange(text: string, user: { name: string; uid: number }): SubIdRange | undefined {
  for (const line of text.split("\n")) {
    const [who, start, count] = line.trim().split(":");
    if ((who === user.name || who === String(user.uid)) && Number(count) > 0) return { start: Number(start), count: Number(count) };
  }
  return undefined;
}

function readOr(path: string, fallback = ""): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return fallback;
  }
}

/** This process's user: name from /etc/passwd (Bun's userInfo() reads it from $USER), uid. */
export function currentUser(): { name: string; uid: number } {
  const uid = process.getuid?.() ?? 0;
  const entry = readOr("/etc/passwd")
    .split("\n")
    .map((l) => l.split(":"))
    .find((f) => f[2] === String(uid));
  return { name: entry?.[0] ?? process.env.USER ?? String(uid), uid };
}

/** What the rootless re-exec will get: sub-id ranges and the helpers that map them. */
export function rootlessMapping(): { subuid?: SubIdRange; subgid?: SubIdRange; newuidmap?: string; newgidmap?: string; user: string } {
  const user = currentUser();
  return {
    user: user.name,
    subuid: findSubIdRange(readOr("/etc/subuid"), user),
    subgid: findSubIdRange(readOr("/etc/subgid"), user),
    newuidmap: which("newuidmap", ["/usr/bin", "/usr/sbin", "/bin", "/sbin"]),
    newgidmap: which("newgidmap", ["/usr/bin", "/usr/sbin", "/bin", "/sbin"]),
  };
}

/** The advice for a user without sub-ids or without the uidmap helpers. */
export function subIdAdvice(user: string): string {
  return `sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 ${user}; sudo apt install uidmap (newuidmap/newgidmap)`;
}

/** Refuse early, with the fix, where the kernel will not give us a user namespace. */
export function checkUserNamespacesAllowed(): void {
  if (readOr("/proc/sys/user/max_user_namespaces", "1").trim() === "0") {
    throw new HostError("E_NO_USERNS", "user namespaces are disabled on this host (user.max_user_namespaces = 0)", {
      hint: "sudo sysctl -w user.max_user_namespaces=28633 (and in /etc/sysctl.d/ to keep it), or run kiln as root.",
    });
  }
  if (readOr("/proc/sys/kernel/unprivileged_userns_clone", "1").trim() === "0") {
    throw new HostError("E_NO_USERNS", "unprivileged user namespaces are disabled (kernel.unprivileged_userns_clone = 0)", {
      hint: "sudo sysctl -w kernel.unprivileged_userns_clone=1, or run kiln as root.",
    });
  }
  if (readOr("/proc/sys/kernel/apparmor_restrict_unprivileged_userns").trim() === "1") {
    // Ubuntu 24.04+: allowed only under an AppArmor profile that grants `userns`; ask the kernel.
    const probe = Bun.spawnSync(["unshare", "--user", "--map-root-user", "true"], { stdout: "ignore", stderr: "ignore" });
    if (probe.exitCode !== 0) {
      throw new HostError("E_NO_USERNS", "AppArmor blocks unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns = 1)", {
        hint: "Either sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or install an AppArmor profile for kiln (run 'kiln doctor' for its text).",
      });
    }
  }
}

/** Warn about the root-only mapping once per boot (the marker lives in a runtime dir). */
function warnRootOnlyMapping(user: string): void {
  const dir = process.env.XDG_RUNTIME_DIR && existsSync(process.env.XDG_RUNTIME_DIR) ? process.env.XDG_RUNTIME_DIR : "/tmp";
  const marker = `${dir}/kiln-${process.getuid?.()}-no-subids-warned`;
  if (existsSync(marker)) return;
  process.stderr.write(
    `kiln: warning: no sub-id range for ${user} (/etc/subuid, /etc/subgid) or no newuidmap/newgidmap: ` +
      "only your own uid is mapped (as root) in kiln's user namespace, so image files can only belong to root " +
      `and a chown to any other id fails.\nkiln: fix: ${subIdAdvice(user)}\n`,
  );
  try {
    writeFileSync(marker, "");
  } catch {
    // warn again next time
  }
}

/** How this very process was started, to run it again unchanged. */
function ownArgv(): string[] {
  const compiled = import.meta.path.startsWith("/$bunfs/");
  return [...(compiled ? [process.execPath] : [process.execPath, process.argv[1]!]), ...process.argv.slice(2)];
}

/**
 * Rootless: re-exec kiln inside `unshare --user` once (KILN_IN_USERNS=1
 * marks the inner run). A no-op for root and inside the namespace.
 */
export async function ensureUserNamespace(): Promise<void> {
  if (process.env.KILN_IN_USERNS === "1" || process.getuid?.() === 0) return;
  checkUserNamespacesAllowed();
  const unshare = which("unshare");
  if (!unshare) {
    throw new HostError("E_HOST", "unshare not found: rootless kiln needs util-linux", { hint: "Install util-linux; run 'kiln doctor'." });
  }
  const m = rootlessMapping();
  const withSubIds = Boolean(m.subuid && m.subgid && m.newuidmap && m.newgidmap);
  if (!withSubIds) warnRootOnlyMapping(m.user);
  const env = Object.entries({ ...process.env, KILN_IN_USERNS: "1" }).map(([k, v]) => `${k}=${v ?? ""}`);
  const sys = new LibcSys();
  sys.resetSignals();
  sys.execve(unshare, userNamespaceArgv(withSubIds, ownArgv(), unshare), env);
}
