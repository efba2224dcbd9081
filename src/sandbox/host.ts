// What this host offers kiln, checked one fact at a time for `kiln doctor`:
// each check says ok / warn / fail in one line and, when it is not ok, what
// to do about it. The one costly probe (an overlay mount inside a fresh user
// namespace) is cached per boot and kernel; tools and files are read live.
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statfsSync, statSync, writeFileSync } from "node:fs";
import type * as Os from "node:os";
import { join } from "node:path";
import { capture, which } from "../util/spawn.ts";
import { currentUser, findSubIdRange, subIdAdvice } from "./rootless.ts";

export type CheckStatus = "ok" | "warn" | "fail" | "info";

export interface HostCheck {
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do when status is warn or fail. */
  fix?: string;
}

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
};

/** "6.18.44-fc" → [6, 18]. */
// node:os is loaded when a check runs, not with sandbox/ (scripts/lint.ts SLOW_TO_LOAD).
const os = (): typeof Os => require("node:os") as typeof Os;
const release = () => os().release();
const tmpdir = () => os().tmpdir();

export function kernelVersion(rel = release()): [number, number] {
  const [major = 0, minor = 0] = rel.split(/[.-]/).map(Number);
  return [major, minor];
}

export function checkKernel(rel = release()): HostCheck {
  const [major, minor] = kernelVersion(rel);
  const ok = major > 5 || (major === 5 && minor >= 11);
  return ok
    ? { name: "kernel", status: "ok", detail: `Linux ${rel} (overlay in user namespaces needs ≥ 5.11)` }
    : { name: "kernel", status: "fail", detail: `Linux ${rel} is older than 5.11: overlayfs cannot be mounted in a user namespace`, fix: "Upgrade the kernel to 5.11 or later (or run kiln as root)." };
}

export function checkOverlay(filesystems = read("/proc/filesystems") ?? ""): HostCheck {
  return /\toverlay$/m.test(filesystems)
    ? { name: "overlayfs", status: "ok", detail: "overlay is in /proc/filesystems" }
    : { name: "overlayfs", status: "fail", detail: "the kernel has no overlayfs", fix: "sudo modprobe overlay (and add 'overlay' to /etc/modules-load.d/)." };
}

export function checkTools(): HostCheck[] {
  const out: HostCheck[] = [];
  for (const [tool, why] of [["unshare", "creates the namespaces"], ["setpriv", "ties a container's life to kiln's"]] as const) {
    const path = which(tool);
    out.push(
      path
        ? { name: tool, status: "ok", detail: `${path} (${why})` }
        : { name: tool, status: "fail", detail: `${tool} not found: it ${why}`, fix: "Install util-linux ≥ 2.38 (apt install util-linux)." },
    );
  }
  return out;
}

/** The three sysctls that can switch unprivileged user namespaces off. */
export function checkUserNamespaceSysctls(readSysctl: (p: string) => string | undefined = read): HostCheck[] {
  const out: HostCheck[] = [];
  const max = readSysctl("/proc/sys/user/max_user_namespaces");
  out.push(
    max === "0"
      ? { name: "user.max_user_namespaces", status: "fail", detail: "0: user namespaces are disabled", fix: "sudo sysctl -w user.max_user_namespaces=28633 (persist it in /etc/sysctl.d/)." }
      : { name: "user.max_user_namespaces", status: "ok", detail: max ?? "not present" },
  );
  const clone = readSysctl("/proc/sys/kernel/unprivileged_userns_clone");
  if (clone !== undefined) {
    out.push(
      clone === "0"
        ? { name: "kernel.unprivileged_userns_clone", status: "fail", detail: "0: only root may create user namespaces", fix: "sudo sysctl -w kernel.unprivileged_userns_clone=1" }
        : { name: "kernel.unprivileged_userns_clone", status: "ok", detail: clone },
    );
  }
  const apparmor = readSysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns");
  if (apparmor !== undefined) {
    out.push(
      apparmor === "1"
        ? {
            name: "kernel.apparmor_restrict_unprivileged_userns",
            status: "warn",
            detail: "1: AppArmor allows user namespaces only to programs whose profile grants `userns`",
            fix: `Either sudo sysctl -w kernel.apparmor_restrict_unprivileged_userns=0, or install this profile as /etc/apparmor.d/kiln and run sudo apparmor_parser -r /etc/apparmor.d/kiln:\n${appArmorProfile()}`,
          }
        : { name: "kernel.apparmor_restrict_unprivileged_userns", status: "ok", detail: apparmor },
    );
  }
  return out;
}

/** An AppArmor profile that lets the kiln binary (and the unshare it runs) create user namespaces. */
export function appArmorProfile(binary = process.execPath): string {
  return [
    "abi <abi/4.0>,",
    "include <tunables/global>",
    "",
    `profile kiln ${binary} flags=(unconfined) {`,
    "  userns,",
    "  include if exists <local/kiln>",
    "}",
  ].join("\n");
}

/** newuidmap/newgidmap and the caller's ranges (root needs neither). */
export function checkSubIds(uid = process.getuid?.() ?? 0): HostCheck[] {
  if (uid === 0) return [{ name: "sub-ids", status: "info", detail: "running as root: no sub-ids needed (normal users need them for rootless kiln)" }];
  const user = currentUser();
  const out: HostCheck[] = [];
  for (const tool of ["newuidmap", "newgidmap"]) {
    const path = which(tool, ["/usr/bin", "/usr/sbin", "/bin", "/sbin"]);
    const setuid = path ? (statSync(path).mode & 0o4000) !== 0 : false;
    out.push(
      path
        ? { name: tool, status: setuid ? "ok" : "warn", detail: setuid ? path : `${path} is not setuid root`, fix: setuid ? undefined : `sudo chmod u+s ${path}` }
        : { name: tool, status: "warn", detail: `${tool} not found: only your own uid can be mapped`, fix: "sudo apt install uidmap" },
    );
  }
  for (const file of ["/etc/subuid", "/etc/subgid"]) {
    const range = findSubIdRange(read(file) ?? "", user);
    out.push(
      range
        ? { name: file, status: range.count >= 65536 ? "ok" : "warn", detail: `${user.name}: ${range.start}-${range.start + range.count - 1}`, fix: range.count >= 65536 ? undefined : subIdAdvice(user.name) }
        : { name: file, status: "warn", detail: `no range for ${user.name}: images can only own files as root`, fix: subIdAdvice(user.name) },
    );
  }
  return out;
}

const OVERLAY_SUPER_MAGIC = 0x794c7630;

/** The store dir must be writable and not itself on overlayfs (overlay cannot use it as upper dir). */
export function checkStoreDir(root: string): HostCheck {
  try {
    mkdirSync(root, { recursive: true });
    accessSync(root, constants.W_OK);
  } catch (err) {
    return { name: "store", status: "fail", detail: `${root} is not writable (${(err as Error).message})`, fix: "Choose another directory with --root or KILN_ROOT, or fix its permissions." };
  }
  const type = statfsSync(root).type;
  if (type === OVERLAY_SUPER_MAGIC) {
    return { name: "store", status: "fail", detail: `${root} is on overlayfs, which cannot hold overlay upper dirs`, fix: "Put the store on ext4/xfs/btrfs/tmpfs (--root or KILN_ROOT), e.g. a volume in a container." };
  }
  return { name: "store", status: "ok", detail: `${root} (writable, file system 0x${type.toString(16)})` };
}

/**
 * Can an overlay be mounted inside a new user namespace (userxattr, the
 * options kiln uses)? Cached per boot and kernel in the runtime dir.
 */
export async function checkOverlayInUserns(): Promise<HostCheck> {
  const dir = process.env.XDG_RUNTIME_DIR && existsSync(process.env.XDG_RUNTIME_DIR) ? process.env.XDG_RUNTIME_DIR : tmpdir();
  const cache = join(dir, `kiln-${process.getuid?.()}-overlay-userns-${read("/proc/sys/kernel/random/boot_id")}-${release()}.json`);
  const cached = read(cache);
  if (cached) return JSON.parse(cached) as HostCheck;
  const script = [
    'set -e; d=$(mktemp -d); trap "rm -rf $d" EXIT; mkdir $d/l1 $d/l2 $d/u $d/w $d/m',
    "mount -t overlay overlay -o lowerdir=$d/l1:$d/l2,upperdir=$d/u,workdir=$d/w,redirect_dir=nofollow,metacopy=off,index=off,userxattr $d/m",
    "touch $d/m/x; umount $d/m",
  ].join("\n");
  const r = await capture(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script]);
  const check: HostCheck =
    r.exitCode === 0
      ? { name: "overlay in a user namespace", status: "ok", detail: "mounted with userxattr, redirect_dir=nofollow (cached for this boot)" }
      : { name: "overlay in a user namespace", status: "fail", detail: `refused: ${r.stderr.trim().split("\n").pop() ?? r.exitCode}`, fix: "Rootless kiln needs Linux ≥ 5.11 and user namespaces (see the checks above); as root it does not need this." };
  try {
    writeFileSync(cache, JSON.stringify(check));
  } catch {
    // probe again next time
  }
  return check;
}

/** cgroups and network: facts, never failures (kiln sets no resource limits and uses the host's network). */
export function hostFacts(): HostCheck[] {
  const cgroup2 = read("/proc/mounts")?.split("\n").some((l) => l.split(" ")[1] === "/sys/fs/cgroup" && l.split(" ")[2] === "cgroup2");
  const resolv = read("/etc/resolv.conf") ?? "";
  const servers = [...resolv.matchAll(/^nameserver\s+(\S+)/gm)].map((m) => m[1]);
  return [
    { name: "cgroups", status: "info", detail: cgroup2 ? "cgroup v2 (unified); kiln sets no resource limits" : "cgroup v1 or hybrid; kiln sets no resource limits, so either works" },
    {
      name: "network",
      status: servers.length > 0 ? "info" : "warn",
      detail: servers.length > 0 ? `containers share the host's network; DNS from /etc/resolv.conf (${servers.join(", ")})` : "no nameserver in /etc/resolv.conf: containers will not resolve names",
      fix: servers.length > 0 ? undefined : "Add a nameserver to /etc/resolv.conf.",
    },
  ];
}
