// What a RUN step may do, as with Docker's builder: Docker's default
// capabilities (chown, mknod, raw sockets yes; network admin, mounts no),
// Docker's masked and read-only /proc paths, and RUN --security=insecure only
// with `kiln build --allow security.insecure` (BuildKit's entitlement).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { skipReason } from "../harness.ts";
import { cannotBuild, cannotBuildReason, mismatches, openBuildStore, type BuildStore, type Expect } from "./build-lib.ts";

const skip = skipReason(cannotBuild, cannotBuildReason);

// Docker's default set, checked against `docker run --rm --network host alpine grep Cap /proc/self/status`
// with a private dockerd on this machine (see test/integration/sandbox-privilege-cases.ts).
const DOCKER_DEFAULT = "00000000a80425fb";
/** What RUN --security=insecure gets as root: everything this process has. */
const ownBounding = () => readFileSync("/proc/self/status", "utf8").match(/^CapBnd:\s*([0-9a-f]+)$/m)![1]!;

const succeeding: [string, string, () => Expect][] = [
  ["RUN has Docker's default capabilities", "RUN grep -E '^Cap(Eff|Bnd)' /proc/self/status | tr -d ' \\t' > /caps", () => ({ "/caps": { content: `CapEff:${DOCKER_DEFAULT}\nCapBnd:${DOCKER_DEFAULT}\n` } })],
  ["USER nobody: no effective capabilities", "USER nobody\nRUN grep '^CapEff' /proc/self/status | tr -d ' \\t' > /tmp/caps", () => ({ "/tmp/caps": { content: "CapEff:0000000000000000\n" } })],
  [
    "chown, mknod of a character device and a raw socket (ping) still work",
    "RUN touch /owned && chown 2:2 /owned && mknod /chardev c 1 3 && ping -c 1 -W 2 127.0.0.1 > /dev/null && echo ok > /ok",
    () => ({ "/owned": { uid: 2, gid: 2 }, "/chardev": { type: "char" }, "/ok": { content: "ok\n" } }),
  ],
  [
    "/proc: masked files read empty, /proc/sys is read-only",
    "RUN wc -c < /proc/timer_list > /masked && (echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null || echo read-only > /sysctl)",
    () => ({ "/masked": { content: "0\n" }, "/sysctl": { content: "read-only\n" } }),
  ],
  [
    "RUN has a seccomp filter (Seccomp: 2, unshare refused); RUN --security=insecure none",
    "RUN grep '^Seccomp:' /proc/self/status | tr -d ' \\t' > /seccomp && (unshare -r true 2>/dev/null || echo refused > /unshare)\nRUN --security=insecure grep '^Seccomp:' /proc/self/status | tr -d ' \\t' > /insecure",
    () => ({ "/seccomp": { content: "Seccomp:2\n" }, "/unshare": { content: "refused\n" }, "/insecure": { content: "Seccomp:0\n" } }),
  ],
  [
    "RUN --security=insecure with --allow: every capability, network admin and mounts work",
    "RUN --security=insecure --network=none grep '^CapEff' /proc/self/status | tr -d ' \\t' > /caps && ip link set lo mtu 1500 && mount -t tmpfs t /mnt && echo ok > /ok",
    () => ({ "/caps": { content: `CapEff:${ownBounding()}\n` }, "/ok": { content: "ok\n" } }),
  ],
];

// A network namespace of its own for `ip link`: nothing could reach the host if the check failed.
const failing: [string, string, string[], string][] = [
  ["ip link add needs CAP_NET_ADMIN", "RUN --network=none ip link add kiln0 type dummy", [], "RTNETLINK answers: Operation not permitted"],
  ["mount needs CAP_SYS_ADMIN", "RUN mount -t tmpfs t /mnt", [], "permission denied"],
  ["sethostname needs CAP_SYS_ADMIN (in the step's own UTS namespace)", "RUN hostname kiln-test", [], "sethostname: Operation not permitted"],
  ["RUN --security=insecure without --allow is refused at its line", "RUN echo fine\nRUN --security=insecure true", [], "Dockerfile:3: RUN --security=insecure is not allowed"],
  ["--allow takes entitlements only", "RUN true", ["--allow", "security.everything"], "invalid entitlement: security.everything"],
];

describe.skipIf(skip)("RUN privileges, real builds on alpine", () => {
  let store: BuildStore;
  beforeAll(async () => {
    store = await openBuildStore("privileges");
  }, 60_000);
  afterAll(() => store?.[Symbol.dispose]());

  for (const [i, [name, body, want]] of succeeding.entries()) {
    test(name, async () => {
      const r = await store.build(`FROM alpine:3.20\n${body}\n`, {}, ["--allow", "security.insecure", "-t", `priv-${i}`]);
      if (r.exitCode !== 0) throw new Error(r.stdout + r.stderr);
      expect(mismatches(await store.files(`priv-${i}`), want())).toEqual([]);
    }, 30_000);
  }

  for (const [name, body, args, message] of failing) {
    test(name, async () => {
      const r = await store.build(`FROM alpine:3.20\n${body}\n`, {}, args);
      expect(r.exitCode).not.toBe(0);
      expect(`${r.stdout}${r.stderr}`.toLowerCase()).toContain(message.toLowerCase());
    }, 30_000);
  }
});
