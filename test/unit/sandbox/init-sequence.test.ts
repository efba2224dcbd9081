import { describe, expect, test } from "bun:test";
import { runOp, setupContainer } from "../../../src/sandbox/init.ts";
import { seccompProgram } from "../../../src/sandbox/seccomp.ts";
import type { ExecProcess, InitSpec, OpProcess } from "../../../src/sandbox/spec.ts";
import { ExecCalled, FakeSys } from "./fake-sys.ts";

const FILTER = Buffer.from(seccompProgram("x86_64", [0, 1, 7])).toString("base64");

const R = "/rt/rootfs";

function execSpec(over: Partial<Omit<InitSpec, "process">> = {}, proc: Partial<ExecProcess> = {}): InitSpec & { process: ExecProcess } {
  return {
    statusFd: 3,
    merged: R,
    overlay: { lowerDirs: ["/rt/init", "/s/l1"], upperDir: "/c/upper", workDir: "/c/work", userxattr: false },
    extra: {},
    process: { kind: "exec", argv: ["sh", "-c", "true"], env: ["A=1"], cwd: "/", user: "", ...proc },
    hostname: "0123456789ab",
    network: "host",
    scratch: {
      dir: "/rt",
      files: [{ name: "hosts", content: "127.0.0.1 localhost\n", target: "/etc/hosts" }],
      initLayer: { lowerDirs: ["/s/l1"], entries: [{ path: "/proc", kind: "dir", shadow: true }, { path: "/etc/hosts", kind: "file", shadow: true }] },
    },
    mounts: [],
    devptsGid: 5,
    ...over,
  };
}

function runSetup(sys: FakeSys, spec: InitSpec & { process: ExecProcess }): ExecCalled {
  sys.executables.add("/bin/sh");
  sys.files.set("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/sbin/nologin\n");
  sys.files.set("/etc/group", "root:x:0:root\nwheel:x:10:root\nnobody:x:65534:\n");
  try {
    setupContainer(sys, spec, 4242);
  } catch (err) {
    if (err instanceof ExecCalled) return err;
    throw err;
  }
  throw new Error("setupContainer returned");
}

/** Index of the first call starting with `prefix` (-1 if none). */
const at = (sys: FakeSys, prefix: string) => sys.calls.findIndex((c) => c.startsWith(prefix));

describe("container init sequence (fake Sys)", () => {
  const orderRows: [string, string, string][] = [
    ["the pid is reported before anything is mounted", "write 3 {\"pid\":4242}", "mount tmpfs tmpfs /rt "],
    ["the scratch tmpfs is mounted over the runtime dir first", "mount tmpfs tmpfs /rt ", "mkdir /rt/rootfs"],
    ["kiln's /etc files are written on the scratch tmpfs", "mkdir /rt/rootfs", "writeFile /rt/hosts 644"],
    ["the init layer is built on the scratch tmpfs before the overlay uses it", "buildInitLayer /rt/init over /s/l1 /proc,/etc/hosts", "mount overlay"],
    ["the overlay root comes before /proc", "mount overlay", "mount proc"],
    ["/proc comes before /dev", "mount proc", `mount tmpfs tmpfs ${R}/dev`],
    ["devpts is mounted inside /dev's tmpfs", `mount tmpfs tmpfs ${R}/dev`, "mount devpts"],
    ["/sys before the generated files", "mount sysfs", "mount bind /rt/hosts /rt/rootfs/etc/hosts"],
    ["the hostname is set before pivot_root", "sethostname 0123456789ab", "pivotRoot"],
    ["pivot_root happens from inside the new root", `chdir ${R}`, "pivotRoot . ."],
    ["the old root is detached right after pivot_root", "pivotRoot . .", "umount . 2"],
    ["the status fd is closed on exec before credentials change", "setCloexec 3", "setgroups"],
    ["signals are reset before credentials change", "resetSignals", "setgroups"],
    ["supplementary groups before gid", "setgroups", "setgid"],
    ["gid before uid", "setgid", "setuid"],
    ["uid last before execve", "setuid", "execve"],
  ];
  for (const [name, first, then] of orderRows) {
    test(name, () => {
      const sys = new FakeSys();
      runSetup(sys, execSpec());
      expect(at(sys, first)).toBeGreaterThanOrEqual(0);
      expect(at(sys, then)).toBeGreaterThan(at(sys, first));
    });
  }

  test("overlay options carry redirect_dir=off, metacopy=off, index=off and the init layer on top", () => {
    const sys = new FakeSys();
    runSetup(sys, execSpec());
    expect(sys.calls[at(sys, "mount overlay")]).toBe(
      `mount overlay overlay ${R} lowerdir=/rt/init:/s/l1,upperdir=/c/upper,workdir=/c/work,redirect_dir=off,metacopy=off,index=off`,
    );
  });

  const rows: [string, Partial<Omit<InitSpec, "process">>, Partial<ExecProcess>, (sys: FakeSys, exec: ExecCalled) => void][] = [
    ["root gets root's groups from /etc/group", {}, {}, (sys) => {
      expect(sys.calls).toContain("setgroups 0,10");
      expect(sys.calls).toContain("setuid 0");
    }],
    ["a named user gets its ids and HOME from passwd", {}, { user: "nobody" }, (sys, e) => {
      expect(sys.calls).toContain("setgid 65534");
      expect(sys.calls).toContain("setuid 65534");
      expect(e.env).toContain("HOME=/");
    }],
    ["PATH defaults to Docker's and HOSTNAME is set", {}, {}, (_sys, e) => {
      expect(e.env[0]).toBe("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
      expect(e.env).toContain("HOSTNAME=0123456789ab");
      expect(e.env).toContain("A=1");
    }],
    ["the command is found on PATH and exec'd with its argv", {}, {}, (_sys, e) => {
      expect(e.path).toBe("/bin/sh");
      expect(e.argv).toEqual(["sh", "-c", "true"]);
    }],
    ["network none brings loopback up before pivot_root", { network: "none" }, {}, (sys) => {
      expect(at(sys, "setLoopbackUp")).toBeGreaterThan(-1);
      expect(at(sys, "setLoopbackUp")).toBeLessThan(at(sys, "pivotRoot"));
    }],
    ["host network leaves the interfaces alone", {}, {}, (sys) => expect(at(sys, "setLoopbackUp")).toBe(-1)],
    ["a missing working dir is created after pivot_root, then entered", {}, { cwd: "/work/dir" }, (sys) => {
      expect(at(sys, "mkdirp /work/dir 755")).toBeGreaterThan(at(sys, "pivotRoot"));
      expect(at(sys, "chdir /work/dir")).toBeGreaterThan(at(sys, "mkdirp /work/dir"));
    }],
    ["user mounts are cloned before pivot_root and attached after it", { mounts: [{ source: "/host/v", target: "/data", readonly: true }] }, {}, (sys) => {
      expect(at(sys, "cloneMount /host/v ro")).toBeLessThan(at(sys, "pivotRoot"));
      expect(at(sys, "attachMount")).toBeGreaterThan(at(sys, "pivotRoot"));
    }],
    ["a bind target missing from the init layer is created and reported", { mounts: [{ source: "/host/v", target: "/a/b", readonly: false }] }, {}, (sys) => {
      expect(sys.calls).toContain('write 3 {"created":["/a","/a/b"]}');
    }],
    ["a terminal is opened in the container's devpts and handed over before pivot_root", {}, { tty: true }, (sys) => {
      expect(at(sys, `openPty ${R}/dev/pts/ptmx`)).toBeGreaterThan(at(sys, "mount devpts"));
      expect(at(sys, "write 3 {\"pty\"")).toBeGreaterThan(at(sys, "openPty"));
      expect(at(sys, "readLine 3")).toBeGreaterThan(at(sys, "write 3 {\"pty\""));
      expect(at(sys, `mount bind ${R}/dev/pts/0 ${R}/dev/console`)).toBeGreaterThan(-1);
      expect(at(sys, "takeTerminal 0")).toBeLessThan(at(sys, "setuid"));
    }],
    ["/dev/shm is 64 MiB by default", {}, {}, (sys) => expect(sys.calls).toContain(`mount tmpfs shm ${R}/dev/shm flags=0xe mode=1777,size=65536k`)],
    ["--shm-size sets the size of /dev/shm", { shmSize: 128 * 1024 * 1024 }, {}, (sys) => expect(sys.calls).toContain(`mount tmpfs shm ${R}/dev/shm flags=0xe mode=1777,size=131072k`)],
    ["--ulimit: set after pivot_root, before credentials change", { ulimits: [{ name: "nofile", soft: 1024, hard: 2048 }, { name: "core", soft: -1, hard: -1 }] }, {}, (sys) => {
      expect(at(sys, "setrlimit 7 1024:2048")).toBeGreaterThan(at(sys, "pivotRoot"));
      expect(at(sys, "setrlimit 4 -1:-1")).toBeLessThan(at(sys, "setgroups"));
    }],
    ["capabilities: bounding set before the credentials, capset after setuid", { capabilities: [0, 1, 7] }, {}, (sys) => {
      expect(at(sys, "capbsetDrop 2")).toBeGreaterThan(at(sys, "pivotRoot"));
      expect(at(sys, "capbsetDrop 40")).toBeLessThan(at(sys, "setgroups"));
      expect(sys.calls.filter((c) => c.startsWith("capbsetDrop")).length).toBe(41 - 3);
      expect(at(sys, "capbsetDrop 7")).toBe(-1);
      expect(at(sys, "clearAmbient")).toBeGreaterThan(at(sys, "setuid"));
      expect(sys.calls[at(sys, "capset")]).toBe("capset eff=83 prm=83 inh=0");
      expect(at(sys, "capset")).toBeLessThan(at(sys, "execve"));
    }],
    ["capabilities: a non-root user ends with empty sets", { capabilities: [0, 1, 7] }, { user: "nobody" }, (sys) => {
      expect(sys.calls[at(sys, "capset")]).toBe("capset eff=0 prm=0 inh=0");
    }],
    ["seccomp: the filter goes in after the ulimits, before the bounding set and the credentials", { capabilities: [0, 1, 7], seccomp: FILTER, ulimits: [{ name: "nofile", soft: 1024, hard: 2048 }] }, { user: "nobody" }, (sys) => {
      expect(at(sys, "seccomp")).toBeGreaterThan(at(sys, "setrlimit 7"));
      expect(at(sys, "seccomp")).toBeLessThan(at(sys, "capbsetDrop"));
      expect(at(sys, "seccomp")).toBeLessThan(at(sys, "setuid"));
      // The program kiln assembled on the host, installed as it came (spec.json carries it in base64).
      expect(sys.calls.filter((c) => c.startsWith("seccomp"))).toEqual([`seccomp ${seccompProgram("x86_64", [0, 1, 7]).length / 8} insns`]);
    }],
    ["seccomp: none without the spec's seccomp (privileged, unconfined)", { privileged: true }, {}, (sys) => expect(at(sys, "seccomp")).toBe(-1)],
    ["privileged (no capability list): no capability call", { privileged: true }, {}, (sys) => {
      expect(sys.calls.some((c) => /^(capbsetDrop|capset|clearAmbient)/.test(c))).toBe(false);
    }],
  ];
  for (const [name, over, proc, check] of rows) {
    test(name, () => {
      const sys = new FakeSys();
      sys.answers.push("go");
      check(sys, runSetup(sys, execSpec(over, proc)));
    });
  }

  test("rootless sysfs refusal falls back to a read-only recursive bind of /sys", () => {
    const sys = new FakeSys();
    sys.failures.set("mount sysfs", "EPERM");
    runSetup(sys, execSpec());
    expect(sys.calls).toContain("cloneMount /sys ro");
    expect(sys.calls).toContain(`attachMount 10 ${R}/sys`);
  });

  const maskRows: [string, (sys: FakeSys) => void, (sys: FakeSys) => void][] = [
    ["a masked file gets /dev/null bound over it", (sys) => sys.paths.add(`${R}/proc/keys`), (sys) => expect(sys.calls).toContain(`mount bind /dev/null ${R}/proc/keys flags=0x1000`)],
    ["a masked directory gets an empty read-only tmpfs", (sys) => {
      sys.paths.add(`${R}/sys/firmware`);
      sys.dirs.add(`${R}/sys/firmware`);
    }, (sys) => expect(sys.calls).toContain(`mount tmpfs tmpfs ${R}/sys/firmware flags=0x1`)],
    ["a missing masked path is skipped, never created", () => {}, (sys) => {
      expect(sys.calls.some((c) => c.startsWith("mount") && c.includes("/proc/kcore"))).toBe(false);
    }],
    ["a read-only path is bound onto itself and made read-only, after /sys", (sys) => sys.paths.add(`${R}/proc/sys`), (sys) => {
      expect(at(sys, `mount bind ${R}/proc/sys ${R}/proc/sys flags=0x5000`)).toBeGreaterThan(at(sys, "mount sysfs"));
      expect(at(sys, `setReadonlyRecursive ${R}/proc/sys`)).toBeGreaterThan(at(sys, `mount bind ${R}/proc/sys`));
      expect(at(sys, `setReadonlyRecursive ${R}/proc/sys`)).toBeLessThan(at(sys, "pivotRoot"));
    }],
  ];
  for (const [name, seed, check] of maskRows) {
    test(`kernel paths: ${name}`, () => {
      const sys = new FakeSys();
      seed(sys);
      runSetup(sys, execSpec({ capabilities: [0] }));
      check(sys);
    });
  }

  test("privileged: no masked or read-only kernel paths, and /sys read-write", () => {
    const sys = new FakeSys();
    for (const p of ["/proc/keys", "/proc/sys", "/sys/firmware"]) sys.paths.add(`${R}${p}`);
    runSetup(sys, execSpec({ privileged: true }));
    expect(sys.calls.filter((c) => c.startsWith("mount") && /\/(proc\/keys|proc\/sys|sys\/firmware)/.test(c))).toEqual([]);
    expect(sys.calls).toContain(`mount sysfs sysfs ${R}/sys flags=0xe`);
  });

  test("capabilities the init lacks (CAP_SYS_RESOURCE on some hosts) are not asked for", () => {
    const sys = new FakeSys();
    sys.caps = { effective: 0x1fffeffffffn, permitted: 0x1fffeffffffn, inheritable: 0n };
    runSetup(sys, execSpec({ capabilities: [0, 1, 24, 25] }));
    expect(sys.calls[at(sys, "capset")]).toBe("capset eff=2000003 prm=2000003 inh=0");
  });

  test("an unknown user stops the init before execve", () => {
    const sys = new FakeSys();
    expect(() => runSetup(sys, execSpec({}, { user: "nosuchuser" }))).toThrow("unable to find user nosuchuser");
    expect(at(sys, "execve")).toBe(-1);
  });
});

describe("op init sequence (fake Sys)", () => {
  const opSpec = (extra: InitSpec["extra"] = {}): InitSpec & { process: OpProcess } => ({
    ...execSpec(),
    process: { kind: "op", op: "copy", payload: { from: "/ctx" } },
    extra,
  });

  test("parent death signal, overlay, extra roots read-only, then the handler with the merged root and the upper dir", async () => {
    const sys = new FakeSys();
    const seen: unknown[] = [];
    await runOp(sys, opSpec({ builder: { target: "/rt/extra/0", overlay: { lowerDirs: ["/s/a", "/rt/empty0"], userxattr: true } } }), {
      copy: async (payload, ctx) => {
        seen.push(payload, ctx);
        sys.calls.push("handler");
      },
    });
    expect(sys.calls[0]).toBe("setParentDeathSignal 9");
    expect(sys.calls[1]).toStartWith(`mount overlay overlay ${R} `);
    expect(sys.calls[2]).toBe("mount overlay overlay /rt/extra/0 flags=0x1 lowerdir=/s/a:/rt/empty0,redirect_dir=nofollow,metacopy=off,index=off,userxattr");
    expect(sys.calls[3]).toBe("handler");
    expect(seen).toEqual([{ from: "/ctx" }, { rootfs: R, extra: { builder: "/rt/extra/0" }, upperDir: "/c/upper" }]);
    expect(sys.calls.some((c) => c.startsWith("pivotRoot") || c.startsWith("mount proc"))).toBe(false);
  });

  test("an unknown op is an error before anything is mounted", async () => {
    const sys = new FakeSys();
    await expect(runOp(sys, opSpec(), {})).rejects.toThrow('unknown container op "copy"');
    expect(sys.calls.filter((c) => c.startsWith("mount"))).toEqual([]);
  });
});
