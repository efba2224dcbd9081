// The default seccomp filter, decided without a kernel: the program runs
// through a small classic-BPF interpreter (the subset seccomp.ts emits, and
// anything else is a test failure) for one (arch, nr, args) row at a time.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { CAPABILITIES, resolveCapabilities } from "../../../src/sandbox/capabilities.ts";
import {
  AUDIT_ARCH,
  SECCOMP_RET_ALLOW,
  SECCOMP_RET_ERRNO,
  SECCOMP_RET_KILL_PROCESS,
  SECCOMP_RULES,
  seccompArch,
  seccompProgram,
  ABI_COLUMN,
  type SeccompAbi,
  type SeccompArch,
} from "../../../src/sandbox/seccomp.ts";

/** Run a filter on struct seccomp_data { int nr; u32 arch; u64 ip; u64 args[6] }. */
function runFilter(program: Uint8Array, data: { arch: number; nr: number; args?: bigint[] }): number {
  const d = new DataView(new ArrayBuffer(64));
  d.setUint32(0, data.nr >>> 0, true);
  d.setUint32(4, data.arch, true);
  (data.args ?? []).forEach((a, i) => d.setBigUint64(16 + 8 * i, BigInt.asUintN(64, a), true));
  const code = new DataView(program.buffer, program.byteOffset, program.byteLength);
  let a = 0;
  for (let pc = 0, steps = 0; pc < program.length / 8; pc++, steps++) {
    if (steps > 10_000) throw new Error("loop");
    const op = code.getUint16(pc * 8, true);
    const jt = code.getUint8(pc * 8 + 2);
    const jf = code.getUint8(pc * 8 + 3);
    const k = code.getUint32(pc * 8 + 4, true);
    switch (op) {
      case 0x20: // ld [k]
        if (k % 4 !== 0 || k > 60) throw new Error(`bad load offset ${k}`);
        a = d.getUint32(k, true);
        break;
      case 0x54: // and #k
        a = (a & k) >>> 0;
        break;
      case 0x15: // jeq #k
        pc += a === k ? jt : jf;
        break;
      case 0x35: // jge #k
        pc += a >= k ? jt : jf;
        break;
      case 0x06: // ret #k
        return k;
      default:
        throw new Error(`opcode 0x${op.toString(16)} at ${pc}`);
    }
  }
  throw new Error("fell off the end of the program");
}

const ALLOW = SECCOMP_RET_ALLOW;
const EPERM = SECCOMP_RET_ERRNO | 1;
const ENOSYS = SECCOMP_RET_ERRNO | 38;
const KILL = SECCOMP_RET_KILL_PROCESS;
const DEFAULT = resolveCapabilities({}) as number[];
const cap = (...names: string[]) => resolveCapabilities({ capAdd: names }) as number[];

type Row = [name: string, arch: SeccompArch, caps: number[], call: { nr: number; args?: bigint[]; arch?: number }, expected: number];
const X = "x86_64" as const;
const A = "aarch64" as const;

const rows: Row[] = [
  ["read is allowed", X, DEFAULT, { nr: 0 }, ALLOW],
  ["execve is allowed", X, DEFAULT, { nr: 59 }, ALLOW],
  ["a number past the table (a newer call) is allowed", X, DEFAULT, { nr: 470 }, ALLOW],
  ["keyctl is refused", X, DEFAULT, { nr: 250 }, EPERM],
  ["add_key is refused even with every capability", X, resolveCapabilities({ capAdd: ["ALL"] }) as number[], { nr: 248 }, EPERM],
  ["mount is refused by default", X, DEFAULT, { nr: 165 }, EPERM],
  ["mount with CAP_SYS_ADMIN is allowed", X, cap("SYS_ADMIN"), { nr: 165 }, ALLOW],
  ["unshare is refused by default", X, DEFAULT, { nr: 272 }, EPERM],
  ["unshare with CAP_SYS_ADMIN is allowed", X, cap("SYS_ADMIN"), { nr: 272 }, ALLOW],
  ["setns is refused by default", X, DEFAULT, { nr: 308 }, EPERM],
  ["fsopen is refused by default", X, DEFAULT, { nr: 430 }, EPERM],
  ["clone for fork (SIGCHLD) is allowed", X, DEFAULT, { nr: 56, args: [17n] }, ALLOW],
  ["clone for a thread (CLONE_VM|CLONE_THREAD|…) is allowed", X, DEFAULT, { nr: 56, args: [0x3d0f00n] }, ALLOW],
  ["clone with CLONE_NEWUSER is refused", X, DEFAULT, { nr: 56, args: [0x10000000n | 17n] }, EPERM],
  ["clone with CLONE_NEWNS is refused", X, DEFAULT, { nr: 56, args: [0x20000n] }, EPERM],
  ["clone with CLONE_NEWNET and CAP_SYS_ADMIN is allowed", X, cap("SYS_ADMIN"), { nr: 56, args: [0x40000000n] }, ALLOW],
  ["clone3 answers ENOSYS (glibc falls back to clone)", X, DEFAULT, { nr: 435 }, ENOSYS],
  ["clone3 with CAP_SYS_ADMIN is allowed", X, cap("SYS_ADMIN"), { nr: 435 }, ALLOW],
  ["personality(PER_LINUX) is allowed", X, DEFAULT, { nr: 135, args: [0n] }, ALLOW],
  ["personality(0xffffffff) (the query) is allowed", X, DEFAULT, { nr: 135, args: [0xffffffffn] }, ALLOW],
  ["personality(ADDR_NO_RANDOMIZE) is refused (setarch -R), as in Docker", X, DEFAULT, { nr: 135, args: [0x40000n] }, EPERM],
  ["personality(UNAME26|PER_LINUX32) is allowed", X, DEFAULT, { nr: 135, args: [0x20008n] }, ALLOW],
  ["personality(PER_LINUX32) is allowed", X, DEFAULT, { nr: 135, args: [0x0008n] }, ALLOW],
  ["personality(PER_LINUX32|STICKY_TIMEOUTS) is refused", X, DEFAULT, { nr: 135, args: [0x0008n | 0x4000000n] }, EPERM],
  ["personality with high bits set is refused", X, DEFAULT, { nr: 135, args: [0x1_0000_0000n] }, EPERM],
  ["open_by_handle_at is refused by default", X, DEFAULT, { nr: 304 }, EPERM],
  ["open_by_handle_at with CAP_DAC_READ_SEARCH is allowed", X, cap("DAC_READ_SEARCH"), { nr: 304 }, ALLOW],
  ["clock_settime is refused, allowed with CAP_SYS_TIME", X, cap("SYS_TIME"), { nr: 227 }, ALLOW],
  ["settimeofday is refused by default", X, DEFAULT, { nr: 164 }, EPERM],
  ["init_module with CAP_SYS_MODULE is allowed", X, cap("SYS_MODULE"), { nr: 175 }, ALLOW],
  ["reboot is refused by default", X, DEFAULT, { nr: 169 }, EPERM],
  ["reboot with CAP_SYS_BOOT is allowed", X, cap("SYS_BOOT"), { nr: 169 }, ALLOW],
  ["iopl is refused by default", X, DEFAULT, { nr: 172 }, EPERM],
  ["iopl with CAP_SYS_RAWIO is allowed", X, cap("SYS_RAWIO"), { nr: 172 }, ALLOW],
  ["acct with CAP_SYS_PACCT is allowed", X, cap("SYS_PACCT"), { nr: 163 }, ALLOW],
  ["bpf with CAP_BPF is allowed", X, cap("BPF"), { nr: 321 }, ALLOW],
  ["io_uring_setup is refused even with CAP_SYS_ADMIN", X, cap("SYS_ADMIN"), { nr: 425 }, EPERM],
  ["userfaultfd is refused", X, DEFAULT, { nr: 323 }, EPERM],
  ["an x32 call (nr | 0x40000000) is refused", X, DEFAULT, { nr: 0x40000000 | 0 }, EPERM],
  ["an x32 keyctl is refused too", X, DEFAULT, { nr: 0x40000000 | 250 }, EPERM],
  ["nr -1 (a call a tracer skipped) is allowed", X, DEFAULT, { nr: -1 }, ALLOW],
  ["i386: getpid (20) is allowed", X, DEFAULT, { arch: AUDIT_ARCH.i386, nr: 20 }, ALLOW],
  ["i386: mount (21) is refused", X, DEFAULT, { arch: AUDIT_ARCH.i386, nr: 21 }, EPERM],
  ["i386: keyctl (288) is refused", X, DEFAULT, { arch: AUDIT_ARCH.i386, nr: 288 }, EPERM],
  ["i386: clone (120) with CLONE_NEWUSER is refused, fork is allowed", X, DEFAULT, { arch: AUDIT_ARCH.i386, nr: 120, args: [0x10000000n] }, EPERM],
  ["i386: clone (120) for fork is allowed", X, DEFAULT, { arch: AUDIT_ARCH.i386, nr: 120, args: [17n] }, ALLOW],
  ["i386: clock_settime64 (404) is refused", X, DEFAULT, { arch: AUDIT_ARCH.i386, nr: 404 }, EPERM],
  ["i386: vm86 (166) is refused even with every capability", X, resolveCapabilities({ capAdd: ["ALL"] }) as number[], { arch: AUDIT_ARCH.i386, nr: 166 }, EPERM],
  ["i386: x86_64's keyctl number (250, fadvise64_64 here) is allowed", X, DEFAULT, { arch: AUDIT_ARCH.i386, nr: 250 }, ALLOW],
  ["an unknown ABI on x86_64 is killed", X, DEFAULT, { arch: 0x1234, nr: 1 }, KILL],
  ["an aarch64 call on an x86_64 filter is killed", X, DEFAULT, { arch: AUDIT_ARCH.aarch64, nr: 63 }, KILL],
  ["aarch64: read (63) is allowed", A, DEFAULT, { nr: 63 }, ALLOW],
  ["aarch64: mount (40) is refused", A, DEFAULT, { nr: 40 }, EPERM],
  ["aarch64: keyctl (219) is refused", A, DEFAULT, { nr: 219 }, EPERM],
  ["aarch64: clone with CLONE_NEWPID is refused", A, DEFAULT, { nr: 220, args: [0x20000000n] }, EPERM],
  ["aarch64: x86_64's mount number (165, getrusage here) is allowed", A, DEFAULT, { nr: 165 }, ALLOW],
  ["aarch64: an arm32 call is killed", A, DEFAULT, { arch: 0x40000028, nr: 1 }, KILL],
];

describe("seccomp filter decisions", () => {
  for (const [name, arch, caps, call, expected] of rows) {
    test(name, () => {
      const program = seccompProgram(arch, caps);
      const got = runFilter(program, { arch: call.arch ?? AUDIT_ARCH[arch], nr: call.nr, args: call.args });
      expect(`0x${got.toString(16)}`).toBe(`0x${expected.toString(16)}`);
    });
  }

  test("every rule refuses its call on every ABI with no capabilities", () => {
    for (const [arch, abi] of [[X, X], [X, "i386"], [A, A]] as [SeccompArch, SeccompAbi][]) {
      const program = seccompProgram(arch, []);
      for (const row of SECCOMP_RULES) {
        const n = row[ABI_COLUMN[abi]];
        if (n === null) continue;
        const expected = row[5] === "clone3" ? ENOSYS : EPERM;
        const args = row[5] === "clone" ? [0x20000n] : row[5] === "personality" ? [0x1000000n] : [];
        expect([abi, row[0], runFilter(program, { arch: AUDIT_ARCH[abi], nr: n, args })]).toEqual([abi, row[0], expected]);
      }
    }
  });

  test("--cap-add ALL opens every rule tied to a capability", () => {
    const program = seccompProgram(X, CAPABILITIES.map((_, i) => i));
    for (const [name, x86, , , caps] of SECCOMP_RULES) {
      if (x86 === null) continue;
      const got = runFilter(program, { arch: AUDIT_ARCH.x86_64, nr: x86, args: [0x4000000n] });
      expect([name, got === ALLOW]).toEqual([name, caps.length > 0]);
    }
  });

  test("the node architecture names map to the filter's", () => {
    expect([seccompArch("x64"), seccompArch("arm64"), seccompArch("riscv64")]).toEqual(["x86_64", "aarch64", undefined]);
  });
});

// The numbers in the table against the kernel's own headers, when this host has them (linux-libc-dev).
const HEADERS: Record<SeccompAbi, string> = {
  x86_64: "/usr/include/x86_64-linux-gnu/asm/unistd_64.h",
  i386: "/usr/include/x86_64-linux-gnu/asm/unistd_32.h",
  aarch64: "/usr/include/asm-generic/unistd.h",
};
for (const abi of [X, "i386", A] as SeccompAbi[]) {
  const header = HEADERS[abi];
  test.skipIf(!existsSync(header))(`syscall numbers match ${header}`, () => {
    const text = readFileSync(header, "utf8");
    for (const row of SECCOMP_RULES) {
      // asm-generic defines the 64-bit time calls for 32-bit ABIs only (__BITS_PER_LONG == 32): not aarch64's.
      if (abi === A && row[0].endsWith("time64")) continue;
      const m = text.match(new RegExp(`^#define __NR_${row[0]}\\s+(\\d+)`, "m"));
      expect([row[0], m ? Number(m[1]) : null]).toEqual([row[0], row[ABI_COLUMN[abi]]]);
    }
  });
}
