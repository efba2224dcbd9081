// `kiln run` and the container commands through the compiled binary, on a
// private store seeded with the Alpine minirootfs (and an image with an
// ENTRYPOINT made by `kiln import --change`).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { canUnshare, isRoot, kilnExe, runKiln, skipReason, tempDir, type TempDir } from "../harness.ts";
import { ALPINE, kilnOk, noAlpine } from "../lib/alpine-store.ts";
import { hostMountsWith, processesWith, waitForOutput } from "./sandbox-cases.ts";

const skip = noAlpine || skipReason(!canUnshare || !isRoot, "kiln run tests run as root here (rootless: rootless.test.ts)");

describe.skipIf(skip)("kiln run", () => {
  let t: TempDir;
  const root = () => t.join("store");
  const kiln = (args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}) => runKiln(args, { root: root(), ...opts });

  beforeAll(async () => {
    t = tempDir("run");
    await kilnOk(["import", ALPINE, "alpine:3.20"], root());
    await kilnOk(["import", "--change", 'ENTRYPOINT ["echo","ep"]', "--change", 'CMD ["c1"]', "--change", "ENV FROM_IMAGE=yes", ALPINE, "ep:1"], root());
  });
  afterAll(async () => {
    await kiln(["rm", "-f", ...(await kiln(["ps", "-a", "-q"])).stdout.trim().split("\n").filter(Boolean)]);
    t[Symbol.dispose]();
  });

  const rows: [string, string[], { stdout?: string | RegExp; stderr?: RegExp; exitCode: number }, { stdin?: string }?][] = [
    ["a command, its output and status", ["run", "--rm", "alpine:3.20", "sh", "-c", "echo out; echo err >&2; exit 3"], { stdout: "out\n", stderr: /^err\n$/, exitCode: 3 }],
    ["ENTRYPOINT + CMD", ["run", "--rm", "ep:1"], { stdout: "ep c1\n", exitCode: 0 }],
    ["arguments replace CMD", ["run", "--rm", "ep:1", "a", "b"], { stdout: "ep a b\n", exitCode: 0 }],
    ["--entrypoint drops CMD", ["run", "--rm", "--entrypoint", "hostname", "-h", "myhost", "ep:1"], { stdout: "myhost\n", exitCode: 0 }],
    ['--entrypoint ""', ["run", "--rm", "--entrypoint", "", "ep:1", "echo", "plain"], { stdout: "plain\n", exitCode: 0 }],
    ['--entrypoint "" without a command', ["run", "--rm", "--entrypoint", "", "ep:1"], { stderr: /No command specified/, exitCode: 125 }],
    ["image ENV, -e, -e from the host", ["run", "--rm", "-e", "A=1", "-e", "FROM_HOST", "ep:1", "$FROM_IMAGE"], { stdout: "ep $FROM_IMAGE\n", exitCode: 0 }],
    ["env reaches the process", ["run", "--rm", "-e", "A=1", "-e", "FROM_HOST", "--entrypoint", "env", "ep:1"], { stdout: /FROM_IMAGE=yes\n(.|\n)*A=1\nFROM_HOST=hello\n/, exitCode: 0 }],
    ["-w creates and enters the directory", ["run", "--rm", "-w", "/new/dir", "alpine:3.20", "pwd"], { stdout: "/new/dir\n", exitCode: 0 }],
    ["-u user:group", ["run", "--rm", "-u", "nobody:wheel", "alpine:3.20", "id"], { stdout: "uid=65534(nobody) gid=10(wheel) groups=10(wheel)\n", exitCode: 0 }],
    ["-i passes stdin", ["run", "--rm", "-i", "alpine:3.20", "cat"], { stdout: "from stdin\n", exitCode: 0 }, { stdin: "from stdin\n" }],
    ["without -i there is no stdin", ["run", "--rm", "alpine:3.20", "cat"], { stdout: "", exitCode: 0 }, { stdin: "ignored\n" }],
    ["--network none", ["run", "--rm", "--network", "none", "alpine:3.20", "ls", "/sys/class/net"], { stdout: "lo\n", exitCode: 0 }],
    ["command not found", ["run", "--rm", "alpine:3.20", "nope"], { stderr: /executable file not found/, exitCode: 127 }],
    // CapEff as `docker run` printed it here (sandbox-privilege-cases.ts); --privileged: every capability this host's root has.
    ["Docker's default capabilities", ["run", "--rm", "alpine:3.20", "grep", "CapEff", "/proc/self/status"], { stdout: "CapEff:\t00000000a80425fb\n", exitCode: 0 }],
    ["--cap-drop ALL --cap-add net_raw", ["run", "--rm", "--cap-drop", "ALL", "--cap-add", "net_raw", "alpine:3.20", "grep", "CapEff", "/proc/self/status"], { stdout: "CapEff:\t0000000000002000\n", exitCode: 0 }],
    ["--cap-add CAP_SYS_ADMIN --cap-drop chown", ["run", "--rm", "--cap-add", "CAP_SYS_ADMIN", "--cap-drop", "chown", "alpine:3.20", "grep", "CapEff", "/proc/self/status"], { stdout: "CapEff:\t00000000a82425fa\n", exitCode: 0 }],
    ["--privileged", ["run", "--rm", "--privileged", "alpine:3.20", "grep", "CapEff", "/proc/self/status"], { stdout: `CapEff:\t${readFileSync("/proc/self/status", "utf8").match(/^CapBnd:\s*(\w+)/m)![1]}\n`, exitCode: 0 }],
    ["a seccomp filter by default (Seccomp: 2, as docker run)", ["run", "--rm", "alpine:3.20", "grep", "^Seccomp:", "/proc/self/status"], { stdout: "Seccomp:\t2\n", exitCode: 0 }],
    ["--security-opt seccomp=unconfined: no filter", ["run", "--rm", "--security-opt", "seccomp=unconfined", "alpine:3.20", "grep", "^Seccomp:", "/proc/self/status"], { stdout: "Seccomp:\t0\n", exitCode: 0 }],
    ["--security-opt apparmor=…: not supported (status 125)", ["run", "--rm", "--security-opt", "apparmor=unconfined", "alpine:3.20", "true"], { stderr: /--security-opt apparmor=unconfined is not supported/, exitCode: 125 }],
    ["an unknown capability (Docker's message and status)", ["run", "--rm", "--cap-add", "FOO", "alpine:3.20", "true"], { stderr: /invalid CapAdd: unknown capability: "CAP_FOO"/, exitCode: 125 }],
    ["image not found (no registry reachable)", ["run", "--rm", "localhost:1/none:x"], { stderr: /Unable to find image 'localhost:1\/none:x' locally/, exitCode: 125 }],
  ];
  for (const [name, args, want, opts] of rows) {
    test(name, async () => {
      const r = await kiln(args, { ...opts, env: { FROM_HOST: "hello" } });
      if (want.stdout !== undefined) {
        if (typeof want.stdout === "string") expect(r.stdout).toBe(want.stdout);
        else expect(r.stdout).toMatch(want.stdout);
      }
      if (want.stderr) expect(r.stderr).toMatch(want.stderr);
      expect(r.exitCode).toBe(want.exitCode);
    });
  }

  test("-v read-write and read-only", async () => {
    const vol = t.join("vol");
    mkdirSync(vol);
    writeFileSync(join(vol, "in"), "in\n");
    const r = await kiln(["run", "--rm", "-v", `${vol}:/data`, "-v", `${vol}:/ro:ro`, "alpine:3.20", "sh", "-c", "echo more >> /data/in; touch /ro/x"]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("Read-only file system");
    expect(readFileSync(join(vol, "in"), "utf8")).toBe("in\nmore\n");
  });

  test("-t gives the process a terminal (run under script(1))", async () => {
    const cmd = `${kilnExe()} run --rm -t alpine:3.20 sh -c 'tty; stty size'`;
    const p = Bun.spawn(["script", "-qec", cmd, "/dev/null"], { env: { ...process.env, KILN_ROOT: root() }, stdin: "ignore", stdout: "pipe" });
    const out = await new Response(p.stdout).text();
    expect(await p.exited).toBe(0);
    // \r\r\n: the container's terminal turns \n into \r\n, script's own terminal does it again.
    expect(out).toMatch(/^\/dev\/pts\/0\r+\n24 80\r+\n$/);
  });

  test("containers are recorded: --name, ps -a, rm; --rm leaves nothing", async () => {
    const before = (await kiln(["ps", "-a", "-q"])).stdout;
    expect((await kiln(["run", "--name", "kept", "alpine:3.20", "sh", "-c", "exit 4"])).exitCode).toBe(4);
    const ps = await kiln(["ps", "-a"]);
    expect(ps.stdout.split("\n")[0]).toMatch(/^CONTAINER ID\s+IMAGE\s+COMMAND\s+CREATED\s+STATUS\s+PORTS\s+NAMES$/);
    expect(ps.stdout).toMatch(/alpine:3\.20\s+"sh -c exit 4"\s+.* ago\s+Exited \(4\) .* ago\s+kept\n/);
    expect((await kiln(["ps"])).stdout).not.toContain("kept");
    const dup = await kiln(["run", "--name", "kept", "alpine:3.20", "true"]);
    expect(dup.exitCode).toBe(125);
    expect(dup.stderr).toContain('The container name "/kept" is already in use');
    expect((await kiln(["rm", "kept"])).stdout).toBe("kept\n");
    expect((await kiln(["ps", "-a", "-q"])).stdout).toBe(before);
    expect((await kiln(["rm", "kept"])).stderr).toContain("No such container: kept");
  });

  test("-d: runs in the background, logs, stop (SIGTERM reaches it), rm", async () => {
    const d = await kiln(["run", "-d", "--name", "bg", "alpine:3.20", "sh", "-c", 'trap "echo got TERM; exit 7" TERM; echo started; while :; do sleep 0.05; done']);
    expect(d.exitCode).toBe(0);
    const id = d.stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect((await kiln(["ps"])).stdout).toMatch(new RegExp(`${id.slice(0, 12)}\\s+alpine:3\\.20\\s+.*Up .*\\s+bg\\n`));
    const follow = Bun.spawn([kilnExe(), "logs", "-f", id.slice(0, 6)], { env: { ...process.env, KILN_ROOT: root() }, stdout: "pipe" });
    const { text, rest } = await waitForOutput(follow.stdout, "started");
    const rm = await kiln(["rm", "bg"]);
    expect(rm.exitCode).toBe(1);
    expect(rm.stderr).toContain('cannot remove container "/bg": container is running');
    expect((await kiln(["stop", "bg"])).stdout).toBe("bg\n");
    expect(text + (await rest)).toBe("started\ngot TERM\n");
    expect(await follow.exited).toBe(0);
    expect((await kiln(["ps", "-a"])).stdout).toMatch(/Exited \(7\) .*\s+bg\n/);
    expect((await kiln(["logs", "bg"])).stdout).toBe("started\ngot TERM\n");
    expect((await kiln(["rm", "bg"])).exitCode).toBe(0);
  });

  test("stop -t: a process that ignores SIGTERM is killed after the timeout (137), nothing is left", async () => {
    const marker = `kiln-stop-${process.pid}`;
    const d = await kiln(["run", "-d", "alpine:3.20", "sh", "-c", "trap '' TERM; while :; do sleep 0.05; done", marker]);
    const id = d.stdout.trim().slice(0, 12);
    expect((await kiln(["stop", "-t", "1", id])).exitCode).toBe(0);
    expect((await kiln(["ps", "-a"])).stdout).toMatch(new RegExp(`${id}.*Exited \\(137\\)`));
    for (let i = 0; i < 100 && processesWith(marker).length > 0; i++) await Bun.sleep(20);
    expect(processesWith(marker)).toEqual([]);
    expect((await kiln(["rm", id])).exitCode).toBe(0);
    expect(hostMountsWith(root())).toEqual([]);
  });

  test("-d reports a setup failure itself (status 125), not only in the log", async () => {
    const r = await kiln(["run", "-d", "--name", "baduser", "-u", "nosuchuser", "alpine:3.20", "true"]);
    expect(r.exitCode).toBe(125);
    expect(r.stderr).toContain("unable to find user nosuchuser");
    expect((await kiln(["ps", "-a"])).stdout).toMatch(/Exited \(125\) .*baduser\n/);
    await kiln(["rm", "baduser"]);
  });

  test("rm -f kills a running container", async () => {
    const d = await kiln(["run", "-d", "--name", "doomed", "alpine:3.20", "sleep", "1000"]);
    expect(d.exitCode).toBe(0);
    expect((await kiln(["rm", "-f", "doomed"])).stdout).toBe("doomed\n");
    expect((await kiln(["ps", "-a"])).stdout).not.toContain("doomed");
  });

  test("kiln doctor: one line per check, exit 0 on a host that can run kiln", async () => {
    const r = await kiln(["doctor"]);
    expect(r.exitCode).toBe(0);
    const lines = r.stdout.split("\n");
    for (const name of ["kernel", "overlayfs", "unshare", "setpriv", "overlay in a user namespace", "store", "cgroups", "network"]) {
      expect(lines.some((l) => new RegExp(`^\\[(ok  |info|warn)\\] ${name} `).test(l))).toBe(true);
    }
    expect(r.stdout).toEndWith("kiln can run here (as root).\n");
    expect((await kiln(["doctor", "--apparmor-profile"])).stdout).toContain("userns,");
  });

  test("kiln unshare runs a command (as root: in no new namespace)", async () => {
    const r = await kiln(["unshare", "sh", "-c", "id -u; exit 5"]);
    expect(r.stdout).toBe("0\n");
    expect(r.exitCode).toBe(5);
  });
});
