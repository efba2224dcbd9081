// What a container's process may do, in every mode (root, rootless with and
// without sub-ids): Docker's default capabilities, --cap-add / --cap-drop /
// --privileged, a non-root user without capabilities, and Docker's masked and
// read-only kernel paths. Run by sandbox-run.test.ts and rootless.test.ts
// next to containerCases.
import { existsSync, readFileSync } from "node:fs";
import type { ContainerSpec } from "../../src/sandbox/index.ts";
import type { Case, RunnerResult } from "./sandbox-cases.ts";

// Verified against real Docker on this machine (Debian's docker.io, a private
// dockerd, `docker run --rm --network host alpine grep Cap /proc/self/status`):
// 00000000a80425fb by default, 00000000a82425fb with --cap-add sys_admin,
// CapInh and CapAmb 0, and for --user nobody CapPrm/CapEff 0 with CapBnd
// still a80425fb.
const DOCKER_DEFAULT = "00000000a80425fb";
const DOCKER_WITH_SYS_ADMIN = "00000000a82425fb";
const NONE = "0000000000000000";

/** The bounding set of this test process: what --privileged as root can give (some hosts' root lacks a capability). */
function ownBoundingSet(): string {
  return readFileSync("/proc/self/status", "utf8").match(/^CapBnd:\s*([0-9a-f]+)$/m)![1]!;
}

/** A new user namespace starts with the full set the kernel knows. */
function everyCapability(): string {
  const last = Number(readFileSync("/proc/sys/kernel/cap_last_cap", "utf8"));
  return ((1n << BigInt(last + 1)) - 1n).toString(16).padStart(16, "0");
}

const CAPS_ARGV = ["grep", "^Cap", "/proc/self/status"];

/** CapInh, CapPrm, CapEff, CapBnd, CapAmb from `grep ^Cap /proc/self/status`. */
function capSets(r: RunnerResult): Record<string, string> {
  return Object.fromEntries(r.stdout.trim().split("\n").map((l) => l.split(/:\s*/) as [string, string]));
}

const sets = (inh: string, prm: string, eff: string, bnd: string) => ({ CapInh: inh, CapPrm: prm, CapEff: eff, CapBnd: bnd, CapAmb: NONE });

const exec = (argv: string[], user = ""): Partial<ContainerSpec> => ({ process: { kind: "exec", argv, env: [], cwd: "/", user } });

/** The masked files this kernel has (absent ones are skipped by kiln, as by runc). */
const MASKED_FILES = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/latency_stats", "/proc/sched_debug"].filter((f) => existsSync(f));

export function privilegeCases(expect: typeof import("bun:test").expect): Case[] {
  return [
    {
      name: "capabilities: Docker's default set for root, inheritable and ambient empty",
      argv: CAPS_ARGV,
      check: (r) => expect(capSets(r)).toEqual(sets(NONE, DOCKER_DEFAULT, DOCKER_DEFAULT, DOCKER_DEFAULT)),
    },
    {
      name: "capabilities: --cap-drop ALL leaves none",
      argv: CAPS_ARGV,
      over: () => ({ capDrop: ["ALL"] }),
      check: (r) => expect(capSets(r)).toEqual(sets(NONE, NONE, NONE, NONE)),
    },
    {
      name: "capabilities: --cap-add SYS_ADMIN adds it",
      argv: CAPS_ARGV,
      over: () => ({ capAdd: ["sys_admin"] }),
      check: (r) => expect(capSets(r)).toEqual(sets(NONE, DOCKER_WITH_SYS_ADMIN, DOCKER_WITH_SYS_ADMIN, DOCKER_WITH_SYS_ADMIN)),
    },
    {
      name: "capabilities: --privileged keeps every capability there is",
      argv: CAPS_ARGV,
      over: () => ({ privileged: true }),
      check: (r, c) => {
        const all = c.mode === "root" ? ownBoundingSet() : everyCapability();
        expect(capSets(r)).toEqual(sets(NONE, all, all, all));
      },
    },
    {
      name: "capabilities: a non-root USER has none effective or permitted, the default bounding set",
      argv: CAPS_ARGV,
      over: () => exec(CAPS_ARGV, "nobody"),
      check: (r) => expect(capSets(r)).toEqual(sets(NONE, NONE, NONE, DOCKER_DEFAULT)),
      skip: ["rootless-root-only"],
    },
    {
      name: "kernel paths: masked files read empty, masked dirs are empty, /proc/sys is read-only",
      argv: ["sh", "-c", `for f in ${MASKED_FILES.join(" ")}; do wc -c < $f; done; ls -A /sys/firmware | wc -l; echo 1 > /proc/sys/kernel/ns_last_pid`],
      check: (r) => {
        expect(r.stdout).toBe([...MASKED_FILES.map(() => "0"), "0", ""].join("\n"));
        expect(r.stderr).toContain("can't create /proc/sys/kernel/ns_last_pid: Read-only file system");
        expect(r.exitCode).toBe(1);
      },
    },
    {
      name: "kernel paths: --privileged masks nothing",
      argv: ["sh", "-c", "grep -c -E ' /proc/| /sys/firmware ' /proc/self/mounts; grep ' /sys ' /proc/self/mounts | cut -d ' ' -f 4 | cut -d , -f 1"],
      over: () => ({ privileged: true }),
      // and /sys is mounted read-write (rootless on the host's network: the host's /sys bound, its files still the host's).
      check: (r) => expect(r.stdout).toBe("0\nrw\n"),
    },
    {
      // A network namespace of its own, so that nothing could reach the host if the check failed.
      name: "without CAP_NET_ADMIN and CAP_SYS_ADMIN: ip link add and mount are refused",
      argv: ["sh", "-c", "ip link add kiln0 type dummy; echo ip=$?; mount -t tmpfs t /mnt; echo mount=$?"],
      over: () => ({ network: "none" }),
      check: (r) => {
        expect(r.stdout).toBe("ip=2\nmount=1\n");
        expect(r.stderr).toContain("RTNETLINK answers: Operation not permitted");
        expect(r.stderr).toMatch(/permission denied/i);
      },
    },
    {
      name: "--cap-add SYS_ADMIN: mount works",
      argv: ["sh", "-c", "mount -t tmpfs t /mnt && grep -c ' /mnt tmpfs' /proc/self/mounts"],
      over: () => ({ network: "none", capAdd: ["CAP_SYS_ADMIN"] }),
      check: (r) => expect([r.exitCode, r.stdout, r.stderr]).toEqual([0, "1\n", ""]),
    },
    {
      name: "Docker's defaults still allow chown and raw sockets (ping)",
      argv: ["sh", "-c", "touch /tmp/f && chown 2:2 /tmp/f && stat -c %u:%g /tmp/f && ping -c 1 -W 2 127.0.0.1 > /dev/null && echo ping ok"],
      over: () => ({ network: "none" }),
      check: (r) => expect([r.exitCode, r.stdout]).toEqual([0, "2:2\nping ok\n"]),
      skip: ["rootless-root-only"],
    },
    {
      // A user namespace may not create devices at all (Docker rootless neither).
      name: "CAP_MKNOD: a character device can be made",
      argv: ["sh", "-c", "mknod /tmp/null c 1 3 && stat -c '%F %t:%T' /tmp/null"],
      check: (r) => expect([r.exitCode, r.stdout]).toEqual([0, "character special file 1:3\n"]),
      skip: ["rootless", "rootless-root-only"],
    },
  ];
}
