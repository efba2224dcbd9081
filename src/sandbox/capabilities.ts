// PURE: the capabilities a container's process keeps, with Docker's rules.
// Docker starts from its default list (moby oci/caps/defaults.go) and applies
// `--cap-add` / `--cap-drop` as moby's TweakCapabilities does: names with or
// without the CAP_ prefix, any case, "ALL" meaning every capability.
// `--privileged` keeps everything kiln has. The init turns the result into a
// bitmask for prctl(PR_CAPBSET_DROP) and capset (exec.ts).
import { SandboxError } from "../errors.ts";

/** Capability names by number (include/uapi/linux/capability.h), without the CAP_ prefix. */
export const CAPABILITIES = [
  "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
  "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW", "IPC_LOCK", "IPC_OWNER",
  "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT", "SYS_ADMIN", "SYS_BOOT", "SYS_NICE",
  "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD", "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP",
  "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG", "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF",
  "CHECKPOINT_RESTORE",
] as const;

export type CapabilityName = (typeof CAPABILITIES)[number];

/** Docker's default set for a non-privileged container (mask 0xa80425fb). */
export const DEFAULT_CAPABILITIES: readonly CapabilityName[] = [
  "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
  "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
];

/** What a container asks for: Docker's `--privileged`, `--cap-add`, `--cap-drop`. */
export interface CapabilityOptions {
  privileged?: boolean;
  capAdd?: string[];
  capDrop?: string[];
}

/** "sys_admin", "CAP_SYS_ADMIN", "all" → "SYS_ADMIN" / "ALL"; unknown names are an error, as in Docker. */
export function normalizeCapability(name: string, flag: "cap-add" | "cap-drop"): CapabilityName | "ALL" {
  const upper = name.trim().toUpperCase();
  if (upper === "ALL") return "ALL";
  const bare = upper.startsWith("CAP_") ? upper.slice(4) : upper;
  if ((CAPABILITIES as readonly string[]).includes(bare)) return bare as CapabilityName;
  // Docker's own message (exit status 125 from `run`).
  throw new SandboxError("E_SANDBOX", `invalid ${flag === "cap-add" ? "CapAdd" : "CapDrop"}: unknown capability: "CAP_${bare}"`, {
    hint: "Use a capability name such as NET_ADMIN or CAP_SYS_PTRACE, or ALL (see capabilities(7)).",
  });
}

/**
 * The capability numbers a container keeps, or "all" for --privileged.
 * moby's order: --cap-add ALL wins over --cap-drop ALL; otherwise the drops
 * come off the base set first and the adds go on after.
 */
export function resolveCapabilities(opts: CapabilityOptions): number[] | "all" {
  if (opts.privileged) return "all";
  const add = (opts.capAdd ?? []).map((c) => normalizeCapability(c, "cap-add"));
  const drop = (opts.capDrop ?? []).map((c) => normalizeCapability(c, "cap-drop"));
  let names: readonly string[];
  if (add.includes("ALL")) names = CAPABILITIES.filter((c) => !drop.includes(c));
  else if (drop.includes("ALL")) names = add;
  else names = [...DEFAULT_CAPABILITIES.filter((c) => !drop.includes(c)), ...add];
  return [...new Set(names.map((n) => (CAPABILITIES as readonly string[]).indexOf(n)))].sort((a, b) => a - b);
}

/** The bitmask of capability numbers, as /proc/PID/status prints it (CapEff, CapBnd). */
export function capabilityMask(caps: readonly number[]): bigint {
  return caps.reduce((mask, c) => mask | (1n << BigInt(c)), 0n);
}

/** A mask as /proc/PID/status shows it: 16 hex digits. */
export function formatCapabilityMask(mask: bigint): string {
  return mask.toString(16).padStart(16, "0");
}
