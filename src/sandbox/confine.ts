// What an exec container's process may not do, as with Docker's defaults:
// kernel files masked or read-only under /proc and /sys (moby
// oci/defaults.go, applied the way runc does), and its capabilities reduced
// to the container's list (capabilities.ts). `--privileged` skips all of it.
// Ops (COPY, …) are kiln's own code and keep the init's full privileges.
import { capabilityMask } from "./capabilities.ts";
import { MS_BIND, MS_RDONLY, MS_REC, type Sys } from "./sys.ts";

/** Hidden: /dev/null over files, an empty read-only tmpfs over directories. */
const MASKED_PATHS = [
  "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
  "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
] as const;

/** Visible but read-only. */
const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"] as const;

/**
 * Mask and write-protect the kernel paths under the container's fresh /proc
 * and /sys (host paths of the root, before pivot_root). Paths this kernel
 * does not have are skipped: nothing is ever created, so no mount-point stub
 * can reach the upper dir (the targets live on procfs and sysfs anyway).
 */
export function maskKernelPaths(sys: Sys, root: string): void {
  for (const path of MASKED_PATHS) {
    const target = `${root}${path}`;
    if (!sys.exists(target)) continue;
    if (sys.isDirectory(target)) sys.mount("tmpfs", target, "tmpfs", MS_RDONLY);
    else sys.mount("/dev/null", target, null, MS_BIND);
  }
  for (const path of READONLY_PATHS) {
    const target = `${root}${path}`;
    if (!sys.exists(target)) continue;
    // A bind of the path onto itself makes it a mount of its own; mount_setattr
    // then sets only "read-only", keeping procfs's nosuid/nodev/noexec, which a
    // user namespace may not clear (a MS_REMOUNT would have to repeat them).
    sys.mount(target, target, null, MS_BIND | MS_REC);
    sys.setReadonlyRecursive(target);
  }
}

/**
 * The bounding set first, while the init still has CAP_SETPCAP: whatever the
 * process execs later (a setuid binary, a file with capabilities) can never
 * gain a capability outside it. For root the bounding set is also what execve
 * hands out, so this alone gives a root process Docker's set.
 */
export function limitBoundingSet(sys: Sys, keep: readonly number[]): void {
  for (let cap = 0; cap < 64; cap++) {
    if (keep.includes(cap)) continue;
    // EINVAL past the kernel's last capability (numbers are consecutive): done.
    if (!sys.dropBoundingCapability(cap)) return;
  }
}

/**
 * After the credentials are switched (setuid as root needs CAP_SETUID): the
 * thread's own sets. Root keeps `keep` (as far as it has them) effective and
 * permitted; any other user has none, which setuid has already cleared, as
 * in Docker. Inheritable and ambient are empty: nothing passes through exec
 * but what the bounding set and file capabilities give.
 */
export function lowerCapabilities(sys: Sys, keep: readonly number[], uid: number): void {
  sys.clearAmbientCapabilities();
  const mask = uid === 0 ? capabilityMask(keep) & sys.getCapabilities().permitted : 0n;
  sys.setCapabilities({ effective: mask, permitted: mask, inheritable: 0n });
}
