import { describe, expect, test } from "bun:test";
import { appArmorProfile, checkKernel, checkOverlay, checkUserNamespaceSysctls } from "../../../src/sandbox/host.ts";
import { findSubIdRange } from "../../../src/sandbox/rootless.ts";

describe("host checks (kiln doctor)", () => {
  const kernels: [string, "ok" | "fail"][] = [
    ["6.18.44-fc-v669", "ok"],
    ["5.11.0-27-generic", "ok"],
    ["5.10.0-21-amd64", "fail"],
    ["4.19.0", "fail"],
  ];
  for (const [rel, status] of kernels) test(`kernel ${rel}: ${status}`, () => expect(checkKernel(rel).status).toBe(status));

  test("overlay missing from /proc/filesystems fails with modprobe advice", () => {
    const c = checkOverlay("nodev\tproc\nnodev\ttmpfs\n");
    expect(c.status).toBe("fail");
    expect(c.fix).toContain("modprobe overlay");
    expect(checkOverlay("nodev\toverlay\n").status).toBe("ok");
  });

  const sysctls: [string, Record<string, string>, [string, string, string?][]][] = [
    ["all open", { "/proc/sys/user/max_user_namespaces": "1000" }, [["user.max_user_namespaces", "ok"]]],
    ["user namespaces off", { "/proc/sys/user/max_user_namespaces": "0" }, [["user.max_user_namespaces", "fail", "sysctl -w user.max_user_namespaces="]]],
    ["Debian's unprivileged_userns_clone=0", { "/proc/sys/user/max_user_namespaces": "9", "/proc/sys/kernel/unprivileged_userns_clone": "0" }, [
      ["user.max_user_namespaces", "ok"],
      ["kernel.unprivileged_userns_clone", "fail", "sysctl -w kernel.unprivileged_userns_clone=1"],
    ]],
    ["Ubuntu 24.04 AppArmor restriction: both ways out", { "/proc/sys/user/max_user_namespaces": "9", "/proc/sys/kernel/apparmor_restrict_unprivileged_userns": "1" }, [
      ["user.max_user_namespaces", "ok"],
      ["kernel.apparmor_restrict_unprivileged_userns", "warn", "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0"],
    ]],
  ];
  for (const [name, files, want] of sysctls) {
    test(`sysctls: ${name}`, () => {
      const got = checkUserNamespaceSysctls((p) => files[p]);
      expect(got.map((c) => [c.name, c.status])).toEqual(want.map(([n, s]) => [n, s]));
      want.forEach(([, , fix], i) => fix && expect(got[i]!.fix).toContain(fix));
    });
  }

  test("the AppArmor fix shows a profile granting userns to the kiln binary", () => {
    const fix = checkUserNamespaceSysctls((p) => (p.endsWith("apparmor_restrict_unprivileged_userns") ? "1" : undefined)).at(-1)!.fix!;
    expect(fix).toContain("apparmor_parser -r /etc/apparmor.d/kiln");
    expect(appArmorProfile("/usr/local/bin/kiln")).toBe(
      "abi <abi/4.0>,\ninclude <tunables/global>\n\nprofile kiln /usr/local/bin/kiln flags=(unconfined) {\n  userns,\n  include if exists <local/kiln>\n}",
    );
  });

  const subids: [string, string, { start: number; count: number } | undefined][] = [
    ["by name", "alice:100000:65536\nbob:165536:65536\n", { start: 165536, count: 65536 }],
    ["by uid", "1001:200000:65536\n", { start: 200000, count: 65536 }],
    ["first range wins", "bob:300000:10\nbob:400000:65536\n", { start: 300000, count: 10 }],
    ["none", "alice:100000:65536\n", undefined],
    ["zero count is no range", "bob:100000:0\n", undefined],
  ];
  for (const [name, text, want] of subids) test(`sub-id range ${name}`, () => expect(findSubIdRange(text, { name: "bob", uid: 1001 })).toEqual(want));
});
