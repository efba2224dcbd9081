// PURE: Docker's default seccomp filter, in the spirit of moby's
// profiles/seccomp/default.json, as a classic BPF program for
// prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER). moby allows a long list and
// refuses the rest; kiln refuses the short list moby leaves out (the kernel
// keyring, mounts and namespaces, modules, clocks, reboot and kexec, raw I/O,
// io_uring, obsolete calls …) and allows everything else, so that a new
// harmless system call of a newer kernel is not refused by an old kiln.
// A call tied to a capability (moby's "includes: caps") is allowed again
// when the container has that capability. Refusals answer EPERM (moby's
// defaultErrnoRet); clone3 answers ENOSYS so that glibc falls back to clone,
// whose namespace flags can be checked (clone3's are behind a pointer).
import { CAPABILITIES, type CapabilityName } from "./capabilities.ts";

export type SeccompArch = "x86_64" | "aarch64";

/** A system call ABI the filter knows: the host's, and i386 (32-bit programs) on x86_64. */
export type SeccompAbi = SeccompArch | "i386";

/** AUDIT_ARCH_* (include/uapi/linux/audit.h): seccomp_data.arch. */
export const AUDIT_ARCH: Record<SeccompAbi, number> = { x86_64: 0xc000003e, i386: 0x40000003, aarch64: 0xc00000b7 };

/** The filter's answers (include/uapi/linux/seccomp.h). */
export const SECCOMP_RET_KILL_PROCESS = 0x8000_0000;
export const SECCOMP_RET_ERRNO = 0x0005_0000;
export const SECCOMP_RET_ALLOW = 0x7fff_0000;
export const EPERM = 1;
export const ENOSYS = 38;

/** x32 system calls are x86_64's numbers with this bit set: refused as a whole (another table to keep). */
const X32_SYSCALL_BIT = 0x4000_0000;
/** Every CLONE_NEW* flag (moby's clone rule: arg0 & 0x7e020000 must be 0). */
const CLONE_NAMESPACE_FLAGS = 0x7e02_0000;
/** The personality(2) values moby allows: PER_LINUX, PER_LINUX32, UNAME26 (alone or with PER_LINUX32), and the query. */
const ALLOWED_PERSONALITIES = [0x0, 0x8, 0x20000, 0x20008, 0xffff_ffff] as const;

/** [name, x86_64, i386, aarch64 number (null: none), capabilities that allow it ([]: never), special rule]. */
type Row = [name: string, x86_64: number | null, i386: number | null, aarch64: number | null, caps: CapabilityName[], rule?: "clone" | "clone3" | "personality"];

/** The column of each ABI in a Row. */
export const ABI_COLUMN: Record<SeccompAbi, 1 | 2 | 3> = { x86_64: 1, i386: 2, aarch64: 3 };

// Numbers from asm/unistd_64.h, asm/unistd_32.h and asm-generic/unistd.h (checked against the
// host's headers by test/unit/sandbox/seccomp.test.ts when they are installed).
export const SECCOMP_RULES: readonly Row[] = [
  ["acct", 163, 51, 89, ["SYS_PACCT"]],
  ["add_key", 248, 286, 217, []],
  ["keyctl", 250, 288, 219, []],
  ["request_key", 249, 287, 218, []],
  ["bpf", 321, 357, 280, ["SYS_ADMIN", "BPF"]],
  ["perf_event_open", 298, 336, 241, ["SYS_ADMIN", "PERFMON"]],
  ["clock_adjtime", 305, 343, 266, ["SYS_TIME"]],
  ["clock_settime", 227, 264, 112, ["SYS_TIME"]],
  ["settimeofday", 164, 79, 170, ["SYS_TIME"]],
  ["stime", null, 25, null, ["SYS_TIME"]],
  ["clock_settime64", null, 404, null, ["SYS_TIME"]],
  ["clock_adjtime64", null, 405, null, ["SYS_TIME"]],
  ["create_module", 174, 127, null, []],
  ["get_kernel_syms", 177, 130, null, []],
  ["query_module", 178, 167, null, []],
  ["init_module", 175, 128, 105, ["SYS_MODULE"]],
  ["finit_module", 313, 350, 273, ["SYS_MODULE"]],
  ["delete_module", 176, 129, 106, ["SYS_MODULE"]],
  ["kexec_load", 246, 283, 104, ["SYS_BOOT"]],
  ["kexec_file_load", 320, null, 294, ["SYS_BOOT"]],
  ["reboot", 169, 88, 142, ["SYS_BOOT"]],
  ["lookup_dcookie", 212, 253, 18, ["SYS_ADMIN"]],
  ["mount", 165, 21, 40, ["SYS_ADMIN"]],
  ["umount", null, 22, null, ["SYS_ADMIN"]],
  ["umount2", 166, 52, 39, ["SYS_ADMIN"]],
  ["pivot_root", 155, 217, 41, ["SYS_ADMIN"]],
  ["open_tree", 428, 428, 428, ["SYS_ADMIN"]],
  ["move_mount", 429, 429, 429, ["SYS_ADMIN"]],
  ["fsopen", 430, 430, 430, ["SYS_ADMIN"]],
  ["fsconfig", 431, 431, 431, ["SYS_ADMIN"]],
  ["fsmount", 432, 432, 432, ["SYS_ADMIN"]],
  ["fspick", 433, 433, 433, ["SYS_ADMIN"]],
  ["mount_setattr", 442, 442, 442, ["SYS_ADMIN"]],
  ["quotactl", 179, 131, 60, ["SYS_ADMIN"]],
  ["quotactl_fd", 443, 443, 443, ["SYS_ADMIN"]],
  ["fanotify_init", 300, 338, 262, ["SYS_ADMIN"]],
  ["setns", 308, 346, 268, ["SYS_ADMIN"]],
  ["unshare", 272, 310, 97, ["SYS_ADMIN"]],
  ["clone", 56, 120, 220, ["SYS_ADMIN"], "clone"],
  ["clone3", 435, 435, 435, ["SYS_ADMIN"], "clone3"],
  ["name_to_handle_at", 303, 341, 264, ["SYS_ADMIN", "DAC_READ_SEARCH"]],
  ["open_by_handle_at", 304, 342, 265, ["DAC_READ_SEARCH"]],
  ["nfsservctl", 180, 169, 42, []],
  ["swapon", 167, 87, 224, []],
  ["swapoff", 168, 115, 225, []],
  ["sysfs", 139, 135, null, []],
  ["_sysctl", 156, 149, null, []],
  ["uselib", 134, 86, null, []],
  ["ustat", 136, 62, null, []],
  ["userfaultfd", 323, 374, 282, []],
  ["vm86", null, 166, null, []],
  ["vm86old", null, 113, null, []],
  ["iopl", 172, 110, null, ["SYS_RAWIO"]],
  ["ioperm", 173, 101, null, ["SYS_RAWIO"]],
  ["personality", 135, 136, 92, [], "personality"],
  ["io_uring_setup", 425, 425, 425, []],
  ["io_uring_enter", 426, 426, 426, []],
  ["io_uring_register", 427, 427, 427, []],
  ["kcmp", 312, 349, 272, ["SYS_PTRACE"]],
  ["process_vm_readv", 310, 347, 270, ["SYS_PTRACE"]],
  ["process_vm_writev", 311, 348, 271, ["SYS_PTRACE"]],
];

/** The filter's architecture for Node's process.arch; undefined: kiln has no table for it. */
export function seccompArch(nodeArch: string): SeccompArch | undefined {
  return nodeArch === "x64" ? "x86_64" : nodeArch === "arm64" ? "aarch64" : undefined;
}

// Classic BPF opcodes (include/uapi/linux/filter.h) and struct seccomp_data offsets.
const LD_W_ABS = 0x20;
const ALU_AND_K = 0x54;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;
const OFF_NR = 0;
const OFF_ARCH = 4;
const OFF_ARG0_LO = 16; // little-endian: the low half of args[0] first
const OFF_ARG0_HI = 20;

type Target = string | 0;

/** A tiny assembler: forward jumps to named labels, resolved to 8-bit offsets at the end. */
class Program {
  private readonly insns: { code: number; k: number; jt: Target; jf: Target }[] = [];
  private readonly labels = new Map<string, number>();
  label(name: string): void {
    this.labels.set(name, this.insns.length);
  }
  op(code: number, k: number, jt: Target = 0, jf: Target = 0): void {
    this.insns.push({ code, k: k >>> 0, jt, jf });
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.insns.length * 8);
    const view = new DataView(out.buffer);
    this.insns.forEach((insn, i) => {
      const offset = (t: Target) => {
        if (t === 0) return 0;
        const d = this.labels.get(t)! - (i + 1);
        if (!(d >= 0 && d <= 255)) throw new Error(`seccomp: jump to ${t} out of range (${d})`);
        return d;
      };
      // struct sock_filter { u16 code; u8 jt; u8 jf; u32 k; } in host (little-endian) order.
      view.setUint16(i * 8, insn.code, true);
      view.setUint8(i * 8 + 2, offset(insn.jt));
      view.setUint8(i * 8 + 3, offset(insn.jf));
      view.setUint32(i * 8 + 4, insn.k, true);
    });
    return out;
  }
}

/** The rules left for a container with these capability numbers: a rule one of them opens is dropped. */
function activeRules(capabilities: readonly number[]): Row[] {
  const held = new Set(capabilities.map((c) => CAPABILITIES[c]));
  return SECCOMP_RULES.filter(([, , , , caps]) => !caps.some((c) => held.has(c)));
}

/** One ABI's rules: the comparisons of the call number, then allow. */
function abiSection(p: Program, abi: SeccompAbi, rules: Row[]): void {
  p.op(LD_W_ABS, OFF_NR);
  if (abi === "x86_64") p.op(JGE_K, X32_SYSCALL_BIT, "high");
  for (const row of rules) {
    const nr = row[ABI_COLUMN[abi]];
    if (nr === null) continue;
    const rule = row[5];
    p.op(JEQ_K, nr, rule === "clone" ? "clone" : rule === "personality" ? "personality" : rule === "clone3" ? "enosys" : "eperm");
  }
  p.op(RET_K, SECCOMP_RET_ALLOW);
}

/**
 * The default filter for a container keeping `capabilities` (numbers), as
 * struct sock_filter bytes. On x86_64, 32-bit (i386) programs get the same
 * rules with their own numbers, as in Docker; any other ABI (arm32 on
 * aarch64) is killed: its numbers mean other calls.
 */
export function seccompProgram(arch: SeccompArch, capabilities: readonly number[]): Uint8Array {
  const rules = activeRules(capabilities);
  const p = new Program();
  p.op(LD_W_ABS, OFF_ARCH);
  p.op(JEQ_K, AUDIT_ARCH[arch], 0, "other-abi");
  abiSection(p, arch, rules);
  p.label("other-abi");
  if (arch === "x86_64") {
    p.op(JEQ_K, AUDIT_ARCH.i386, 0, "kill");
    abiSection(p, "i386", rules);
  } else {
    p.op(RET_K, SECCOMP_RET_KILL_PROCESS);
  }
  // personality(2): only moby's values, the whole 64-bit argument compared.
  p.label("personality");
  p.op(LD_W_ABS, OFF_ARG0_HI);
  p.op(JEQ_K, 0, 0, "eperm");
  p.op(LD_W_ABS, OFF_ARG0_LO);
  for (const v of ALLOWED_PERSONALITIES) p.op(JEQ_K, v, "allow");
  p.op(RET_K, SECCOMP_RET_ERRNO | EPERM);
  // clone(2) without a CLONE_NEW* flag: threads and fork.
  p.label("clone");
  p.op(LD_W_ABS, OFF_ARG0_LO);
  p.op(ALU_AND_K, CLONE_NAMESPACE_FLAGS);
  p.op(JEQ_K, 0, "allow", "eperm");
  // A still holds the number: -1 is what a tracer's skipped call looks like, anything else is x32.
  p.label("high");
  p.op(JEQ_K, 0xffff_ffff, "allow", "eperm");
  p.label("allow");
  p.op(RET_K, SECCOMP_RET_ALLOW);
  p.label("eperm");
  p.op(RET_K, SECCOMP_RET_ERRNO | EPERM);
  p.label("enosys");
  p.op(RET_K, SECCOMP_RET_ERRNO | ENOSYS);
  p.label("kill");
  p.op(RET_K, SECCOMP_RET_KILL_PROCESS);
  return p.bytes();
}
