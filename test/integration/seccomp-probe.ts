// The default seccomp filter seen from inside a container, in every mode
// (root, rootless with and without sub-ids): a tiny static C program makes
// the system calls busybox has no tool for and prints each errno; busybox's
// own unshare and mount show the rest. Run by sandbox-run.test.ts and
// rootless.test.ts next to privilegeCases.
//
// Compared with real Docker on this machine (Debian's docker.io 20.10.24, a
// private dockerd, the same probe bind-mounted into the Alpine minirootfs
// under `docker run --rm --network host`): the same answers (Seccomp: 2,
// EPERM for keyctl, add_key, CLONE_NEWUSER, personality, unshare -m/-r and
// mount; ENOSYS for clone3), but two: io_uring_setup=ok (moby blocks io_uring
// only since 25.0) and x32-getpid=ENOSYS (its profile allows the x32 ABI,
// which this kernel lacks; kiln refuses x32 outright). seccomp=unconfined and
// --cap-add SYS_ADMIN gave what the cases below expect of kiln, and the i386
// probe printed the same three lines under Docker.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ContainerSpec } from "../../src/sandbox/index.ts";
import { hasCommand } from "../harness.ts";
import type { Case } from "./sandbox-cases.ts";

const PROBE_C = `#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
static void show(const char *name, long rc) {
  const char *e = rc >= 0 ? "ok" : errno == EPERM ? "EPERM" : errno == ENOSYS ? "ENOSYS" : errno == EINVAL ? "EINVAL" : "other";
  printf("%s=%s\\n", name, e);
}
int main(void) {
  long params[15] = {0};
  show("keyctl", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -3 /* session */, 0));
  show("add_key", syscall(SYS_add_key, "user", "kiln", "x", 1, -3));
  show("unshare-user", syscall(SYS_unshare, CLONE_NEWUSER));
  show("clone3", syscall(435, 0, 0));
  show("io_uring_setup", syscall(425, 1, params));
  show("personality-norandom", syscall(SYS_personality, 0x0040000));
  show("personality-query", syscall(SYS_personality, 0xffffffff));
  show("x32-getpid", syscall(0x40000000 | SYS_getpid));
  show("getpid", syscall(SYS_getpid));
  return 0;
}
`;

// The same for a 32-bit (i386) program: no libc needed (-nostdlib, int $0x80),
// so it builds wherever cc has -m32, even without a 32-bit libc.
const PROBE32_C = `static long sys(long n, long a, long b, long c) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
  return r;
}
static void out(const char *s) { int n = 0; while (s[n]) n++; sys(4, 1, (long)s, n); }
static void show(const char *name, long rc) {
  out(name);
  out(rc >= 0 ? "=ok\\n" : rc == -1 ? "=EPERM\\n" : rc == -38 ? "=ENOSYS\\n" : "=other\\n");
}
void _start(void) {
  show("keyctl", sys(288, 0, -3, 0));
  show("unshare-user", sys(310, 0x10000000, 0, 0));
  show("getpid", sys(20, 0, 0, 0));
  sys(1, 0, 0, 0);
}
`;
const CC32 = ["cc", "-m32", "-static", "-nostdlib", "-ffreestanding", "-fno-pic", "-fno-stack-protector", "-O1"];

/** What Docker's default profile (and kiln's) answers. */
export const PROBE_DEFAULT = [
  "keyctl=EPERM", "add_key=EPERM", "unshare-user=EPERM", "clone3=ENOSYS", "io_uring_setup=EPERM",
  "personality-norandom=EPERM", "personality-query=ok", "x32-getpid=EPERM", "getpid=ok", "",
].join("\n");

/** The probe compiled (static) into `dir`/seccomp-probe, once per dir; mounted at /probe. */
function probeMount(dir: string): Partial<ContainerSpec> {
  const probeDir = join(dir, "seccomp-probe");
  const bin = join(probeDir, "probe");
  if (!existsSync(bin)) {
    mkdirSync(probeDir, { recursive: true, mode: 0o755 });
    writeFileSync(join(probeDir, "probe.c"), PROBE_C);
    const r = Bun.spawnSync(["cc", "-static", "-O2", "-o", bin, join(probeDir, "probe.c")], { stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`cc -static failed: ${r.stderr.toString()}`);
    if (process.arch === "x64") {
      writeFileSync(join(probeDir, "probe32.c"), PROBE32_C);
      Bun.spawnSync([...CC32, "-o", join(probeDir, "probe32"), join(probeDir, "probe32.c")]);
    }
  }
  return { mounts: [{ source: probeDir, target: "/probe", readonly: true }] };
}

/** Whether `cc -m32` links a freestanding program here (gcc with the i386 target, binutils' elf_i386). */
function canBuild32(): boolean {
  const dir = mkdtempSync(join(tmpdir(), "kiln-probe32-"));
  try {
    writeFileSync(join(dir, "p.c"), PROBE32_C);
    return Bun.spawnSync([...CC32, "-o", join(dir, "p"), join(dir, "p.c")], { stderr: "pipe" }).exitCode === 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SECCOMP_STATUS = ["grep", "^Seccomp:", "/proc/self/status"];
const UNSHARE_MOUNT = ["sh", "-c", "unshare -m true; echo unshare-m=$?; unshare -r true; echo unshare-r=$?; mount -t tmpfs t /mnt; echo mount=$?"];

export function seccompCases(expect: typeof import("bun:test").expect): Case[] {
  const cases: Case[] = [
    {
      name: "seccomp: a filter is installed (Seccomp: 2, as in Docker)",
      argv: SECCOMP_STATUS,
      check: (r) => expect(r.stdout).toBe("Seccomp:\t2\n"),
    },
    {
      name: "seccomp: --privileged installs no filter",
      argv: SECCOMP_STATUS,
      over: () => ({ privileged: true }),
      check: (r) => expect(r.stdout).toBe("Seccomp:\t0\n"),
    },
    {
      name: "seccomp: unshare -m, unshare -r and mount are refused (EPERM)",
      argv: UNSHARE_MOUNT,
      over: () => ({ network: "none" }),
      check: (r) => {
        expect(r.stdout).toBe("unshare-m=1\nunshare-r=1\nmount=1\n");
        expect(r.stderr).toContain("unshare(0x10000000): Operation not permitted");
      },
    },
    {
      name: "seccomp: --cap-add SYS_ADMIN opens unshare and mount",
      argv: UNSHARE_MOUNT,
      over: () => ({ network: "none", capAdd: ["SYS_ADMIN"] }),
      check: (r) => expect([r.stdout, r.stderr]).toEqual(["unshare-m=0\nunshare-r=0\nmount=0\n", ""]),
    },
    {
      name: "seccomp: seccomp=unconfined installs no filter (an unprivileged user namespace works again)",
      argv: ["sh", "-c", "grep ^Seccomp: /proc/self/status; unshare -r true && echo unshare-r=ok"],
      over: () => ({ seccompUnconfined: true }),
      check: (r) => expect(r.stdout).toBe("Seccomp:\t0\nunshare-r=ok\n"),
    },
  ];
  if (!hasCommand("cc")) {
    console.log("seccomp probe cases skipped: no C compiler (cc) to build the static probe");
    return cases;
  }
  const probe32 = process.arch === "x64" && canBuild32();
  if (!probe32) console.log("seccomp i386 probe case skipped: cc cannot build a 32-bit x86 program here (or the host is not x86_64)");
  return [
    ...cases,
    ...(probe32
      ? [
          {
            name: "seccomp probe: a 32-bit (i386) program runs, with the same refusals in its own numbers",
            argv: ["/probe/probe32"],
            over: ({ dir }: { dir: string }) => probeMount(dir),
            check: (r: { exitCode: number; stdout: string }) => expect([r.exitCode, r.stdout]).toEqual([0, "keyctl=EPERM\nunshare-user=EPERM\ngetpid=ok\n"]),
          },
        ]
      : []),
    {
      name: "seccomp probe: keyctl, add_key, userns, clone3, io_uring, personality, x32 answer as in Docker",
      argv: ["/probe/probe"],
      over: ({ dir }) => probeMount(dir),
      check: (r) => expect([r.exitCode, r.stdout]).toEqual([0, PROBE_DEFAULT]),
    },
    {
      name: "seccomp probe: a non-root USER gets the same answers",
      argv: ["/probe/probe"],
      over: ({ dir }) => ({ ...probeMount(dir), process: { kind: "exec", argv: ["/probe/probe"], env: [], cwd: "/", user: "nobody" } }),
      check: (r) => expect([r.exitCode, r.stdout]).toEqual([0, PROBE_DEFAULT]),
      skip: ["rootless-root-only"],
    },
    {
      name: "seccomp probe: unconfined, clone3 reaches the kernel (EINVAL) and personality is free",
      argv: ["/probe/probe"],
      over: ({ dir }) => ({ ...probeMount(dir), seccompUnconfined: true }),
      check: (r) => {
        expect(r.stdout).toContain("clone3=EINVAL\n");
        expect(r.stdout).toContain("personality-norandom=ok\n");
      },
    },
  ];
}
