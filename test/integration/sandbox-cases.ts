// Shared by the sandbox integration tests (as root, and rootless as a test
// user with and without sub-ids): an image made of the Alpine minirootfs plus
// four small layers, a runner process per container, and helpers to look at
// the host afterwards (mounts, stray processes).
import { chmodSync, chownSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ContainerSpec } from "../../src/sandbox/index.ts";
import { cleanEnv, SHARED } from "../harness.ts";

export const ALPINE = SHARED ? join(SHARED, "images/alpine-minirootfs-3.20.3-x86_64.tar.gz") : undefined;
export const RUNNER = join(import.meta.dir, "sandbox-runner.ts");

/** A test user: its ids and a home of its own (bun keeps caches there). */
export interface AsUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** argv prefix that runs a command as `user` (or as ourselves), optionally inside its user namespace. */
export function asUserArgv(user: AsUser | undefined, inUserns: "none" | "subids" | "root-only" = "none"): string[] {
  const ns = inUserns === "none" ? [] : ["unshare", "--user", ...(inUserns === "subids" ? ["--map-auto"] : []), "--map-root-user", "--"];
  if (!user) return ns;
  return ["setpriv", `--reuid=${user.uid}`, `--regid=${user.gid}`, "--init-groups", "--", ...ns];
}

/**
 * The test image: l0 = Alpine minirootfs; l1..l4 each add /layerN and
 * override /etc/motd, so the top-most layer wins. Extracted as `user` inside
 * its user namespace, as kiln's store would, so ownership is what the user's
 * namespace maps. Returns the lower dirs top-most first.
 */
export function makeImage(dir: string, user?: AsUser, userns: "none" | "subids" | "root-only" = "none"): string[] {
  mkdirSync(dir, { recursive: true });
  if (user) chownSync(dir, user.uid, user.gid);
  const script = [
    `set -e; cd ${dir}; mkdir l0 l1 l2 l3 l4`,
    // Without sub-ids only root exists in the namespace: /etc/shadow (gid 42) cannot keep its group.
    `tar ${userns === "root-only" ? "--no-same-owner " : ""}-xzf ${ALPINE} -C l0`,
    "for i in 1 2 3 4; do mkdir -p l$i/etc; echo layer$i > l$i/layer$i; echo motd$i > l$i/etc/motd; done",
  ].join("\n");
  const r = Bun.spawnSync([...asUserArgv(user, userns), "sh", "-c", script], { stderr: "pipe", env: cleanEnv(user ? { HOME: user.home } : {}) });
  if (r.exitCode !== 0) throw new Error(`making the test image failed: ${r.stderr.toString()}`);
  return ["l4", "l3", "l2", "l1", "l0"].map((l) => join(dir, l));
}

let counter = 0;
/** A fresh container spec over `lowerDirs`, with upper and work dirs in `dir`. */
export function containerSpec(dir: string, lowerDirs: string[], argv: string[], over: Partial<ContainerSpec> = {}, user?: AsUser): ContainerSpec {
  const c = join(dir, `c${++counter}`);
  mkdirSync(c);
  if (user) chownSync(c, user.uid, user.gid);
  const id = Bun.hash(`${c}${Date.now()}`).toString(16).padStart(16, "0").repeat(4).slice(0, 64);
  return {
    id,
    rootfs: { lowerDirs, upperDir: join(c, "upper"), workDir: join(c, "work") },
    process: { kind: "exec", argv, env: [], cwd: "/", user: "" },
    network: "host",
    ...over,
  };
}

export interface RunnerResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Start the runner for `spec` (as `user`, entering kiln's user namespace itself when rootless). */
export function startRunner(dir: string, spec: ContainerSpec, opts: { user?: AsUser; io?: object; stdout?: "pipe" } = {}) {
  const job = join(dir, `job-${++counter}.json`);
  writeFileSync(job, JSON.stringify({ spec, io: opts.io ?? {}, userns: opts.user !== undefined }));
  chmodSync(job, 0o644);
  const argv = [...asUserArgv(opts.user), process.execPath, RUNNER, job];
  return Bun.spawn(argv, { stdout: "pipe", stderr: "pipe", env: cleanEnv(opts.user ? { HOME: opts.user.home } : {}) });
}

/** Run `spec` to completion in a runner process. */
export async function runInRunner(dir: string, spec: ContainerSpec, opts: { user?: AsUser; io?: object } = {}): Promise<RunnerResult> {
  const p = startRunner(dir, spec, opts);
  const [stdout, stderr, exitCode] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  return { exitCode, stdout, stderr };
}

/** Paths in a dir tree, relative, sorted, never following symlinks ([] for a missing dir). */
export function listTree(dir: string, prefix = ""): string[] {
  let entries;
  try {
    entries = readdirSync(join(dir, prefix), { withFileTypes: true });
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    out.push(rel);
    if (e.isDirectory()) out.push(...listTree(dir, rel));
  }
  return out.sort();
}

/** Lines of the host's /proc/mounts that mention `needle`. */
export function hostMountsWith(needle: string): string[] {
  return readFileSync("/proc/mounts", "utf8").split("\n").filter((l) => l.includes(needle));
}

/** pids whose command line contains `needle` (not ours). */
export function processesWith(needle: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, "utf8").includes(needle)) out.push(Number(e));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** This process's hard limit of open files (a container starts from it). */
export function hostHardNofile(): number {
  const line = readFileSync("/proc/self/limits", "utf8").split("\n").find((l) => l.startsWith("Max open files"))!;
  return Number(line.trim().split(/\s+/)[4]);
}

/** Does this process have CAP_SYS_RESOURCE (bit 24), which raising a hard limit needs? */
export function hasSysResource(): boolean {
  const cap = readFileSync("/proc/self/status", "utf8").match(/^CapEff:\s*([0-9a-f]+)$/m)?.[1] ?? "0";
  return (BigInt(`0x${cap}`) & (1n << 24n)) !== 0n;
}

/** Resolve when `stream` has produced a chunk containing `marker`; returns all text read so far. */
export async function waitForOutput(stream: ReadableStream<Uint8Array>, marker: string): Promise<{ text: string; rest: Promise<string> }> {
  const reader = stream.getReader();
  const dec = new TextDecoder();
  let text = "";
  while (!text.includes(marker)) {
    const { done, value } = await reader.read();
    if (done) break;
    text += dec.decode(value, { stream: true });
  }
  const rest = (async () => {
    let more = "";
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return more;
      more += dec.decode(value, { stream: true });
    }
  })();
  return { text, rest };
}

export type Mode = "root" | "rootless" | "rootless-root-only";

export interface CaseContext {
  mode: Mode;
  spec: ContainerSpec;
  dir: string;
  lowerDirs: string[];
  /** Host uid that owns what the container's root creates. */
  rootUid: number;
}

export interface Case {
  name: string;
  argv: string[];
  over?: (ctx: { dir: string }) => Partial<ContainerSpec>;
  check: (r: RunnerResult, ctx: CaseContext) => void | Promise<void>;
  /** Modes the case does not apply to. */
  skip?: Mode[];
}

/** The behaviours every container must show, in every mode. */
export function containerCases(expect: typeof import("bun:test").expect): Case[] {
  return [
    {
      name: "id: root inside, with root's groups from the image",
      argv: ["id"],
      check: (r, c) => {
        expect(r.exitCode).toBe(0);
        expect(r.stdout).toStartWith("uid=0(root) gid=0(root)");
        if (c.mode !== "rootless-root-only") expect(r.stdout).toContain("groups=0(root),1(bin),2(daemon)");
      },
    },
    {
      name: "hostname is the short container id",
      argv: ["hostname"],
      check: (r, c) => expect(r.stdout.trim()).toBe(c.spec.id.slice(0, 12)),
    },
    {
      name: "ps shows the command as pid 1 and nothing of the host",
      argv: ["ps", "-o", "pid,comm"],
      check: (r) => {
        expect(r.exitCode).toBe(0);
        expect(r.stdout.trim().split("\n").slice(1).map((l) => l.trim())).toEqual(["1 ps"]);
      },
    },
    {
      name: "mountinfo shows the overlay root over the image's layers",
      argv: ["cat", "/proc/self/mountinfo"],
      check: (r, c) => {
        const root = r.stdout.split("\n").find((l) => l.split(" ")[4] === "/")!;
        expect(root).toContain(" - overlay overlay ");
        expect(root).toContain(c.lowerDirs.join(":"));
        expect(root).toContain(`upperdir=${c.spec.rootfs.upperDir}`);
        if (c.mode !== "root") expect(root).toContain("userxattr");
      },
    },
    {
      name: "the top-most layer wins",
      argv: ["sh", "-c", "cat /etc/motd /layer1 /layer4"],
      check: (r) => expect(r.stdout).toBe("motd4\nlayer1\nlayer4\n"),
    },
    {
      name: "writes land in the upper dir only, owned by the right host id",
      argv: ["sh", "-c", "echo hi > /newfile && mkdir /newdir && echo changed > /etc/motd && rm /layer1"],
      check: (r, c) => {
        expect(r.exitCode).toBe(0);
        const upper = c.spec.rootfs.upperDir;
        expect(listTree(upper)).toEqual(["etc", "etc/motd", "layer1", "newdir", "newfile"]);
        expect(readFileSync(join(upper, "newfile"), "utf8")).toBe("hi\n");
        expect(Bun.spawnSync(["stat", "-c", "%u", join(upper, "newfile")]).stdout.toString().trim()).toBe(String(c.rootUid));
        // The layers themselves are untouched.
        expect(readFileSync(join(c.lowerDirs[0]!, "etc/motd"), "utf8")).toBe("motd4\n");
        expect(readFileSync(join(c.lowerDirs[3]!, "layer1"), "utf8")).toBe("layer1\n");
      },
    },
    {
      name: "a container that changes nothing leaves an empty upper dir (no mount-point stubs)",
      argv: ["sh", "-c", "cat /etc/hosts /etc/resolv.conf /etc/hostname > /dev/null; ls /proc /dev /sys > /dev/null"],
      over: ({ dir }) => {
        mkdirSync(join(dir, "vol-empty"), { recursive: true });
        return { mounts: [{ source: join(dir, "vol-empty"), target: "/mnt/new/mountpoint" }] };
      },
      check: (r, c) => {
        expect(r.exitCode).toBe(0);
        expect(listTree(c.spec.rootfs.upperDir)).toEqual([]);
      },
    },
    { name: "exit status 0", argv: ["true"], check: (r) => expect(r.exitCode).toBe(0) },
    { name: "exit status 1", argv: ["false"], check: (r) => expect(r.exitCode).toBe(1) },
    {
      name: "exit status 127 for a command that is not there",
      argv: ["no-such-command"],
      check: (r) => {
        expect(r.exitCode).toBe(127);
        expect(r.stderr).toContain('exec: "no-such-command": executable file not found in $PATH');
      },
    },
    {
      name: "exit status 130 for a process killed by SIGINT",
      argv: ["sh", "-c", "sh -c 'kill -INT $$'"],
      check: (r) => expect(r.exitCode).toBe(130),
    },
    {
      name: "network none: only loopback, and it is up",
      argv: ["sh", "-c", "ls /sys/class/net; ip -o link show"],
      over: () => ({ network: "none" }),
      check: (r) => {
        const [names, ...links] = r.stdout.trim().split("\n");
        expect(names).toBe("lo");
        expect(links.length).toBe(1);
        expect(links[0]).toMatch(/^1: lo: <LOOPBACK,UP,LOWER_UP>/);
      },
    },
    {
      name: "-v read-write and read-only bind mounts",
      argv: ["sh", "-c", "cat /data/in && echo out >> /data/in && (touch /ro/x 2>&1 || true) && ls /ro"],
      over: ({ dir }) => {
        const rw = join(dir, `vol-rw-${++counter}`);
        const ro = join(dir, `vol-ro-${counter}`);
        mkdirSync(rw);
        mkdirSync(ro);
        writeFileSync(join(rw, "in"), "in\n");
        writeFileSync(join(ro, "seen"), "");
        chmodSync(rw, 0o777);
        chmodSync(join(rw, "in"), 0o666);
        chmodSync(ro, 0o755);
        return { mounts: [{ source: rw, target: "/data" }, { source: ro, target: "/ro", readonly: true }] };
      },
      check: (r, c) => {
        expect(r.exitCode).toBe(0);
        expect(r.stdout).toBe("in\ntouch: /ro/x: Read-only file system\nseen\n");
        expect(readFileSync(join(c.spec.mounts![0]!.source, "in"), "utf8")).toBe("in\nout\n");
        expect(listTree(c.spec.rootfs.upperDir)).toEqual([]);
      },
    },
    {
      name: "a named user from the image's passwd, and HOME from it",
      argv: ["sh", "-c", "id; echo $HOME"],
      over: () => ({ process: { kind: "exec", argv: ["sh", "-c", "id; echo $HOME"], env: [], cwd: "/tmp", user: "nobody" } }),
      check: (r) => {
        expect(r.exitCode).toBe(0);
        // Docker (≥ 20.10.18) always gives the primary gid as a supplementary group, even when /etc/group lists the user in none.
        expect(r.stdout).toBe("uid=65534(nobody) gid=65534(nobody) groups=65534(nobody)\n/\n");
      },
      skip: ["rootless-root-only"],
    },
    {
      name: "a terminal: the process sees /dev/pts/0 of its own devpts",
      argv: ["tty"],
      over: () => ({ process: { kind: "exec", argv: ["tty"], env: [], cwd: "/", user: "", tty: true } }),
      check: (r) => {
        expect(r.exitCode).toBe(0);
        expect(r.stdout).toBe("/dev/pts/0\r\n");
      },
    },
    {
      name: "ulimits and the /dev/shm size reach the command",
      argv: ["sh", "-c", "ulimit -n; ulimit -Hn; df -k /dev/shm | tail -n 1 | awk '{print $2}'"],
      over: () => ({ ulimits: [{ name: "nofile", soft: 100, hard: 200 }], shmSize: 8 * 1024 * 1024 }),
      check: (r) => expect([r.exitCode, r.stdout]).toEqual([0, "100\n200\n8192\n"]),
    },
    {
      name: "raising a hard limit needs CAP_SYS_RESOURCE on the host; without it the error names the limit and the maximum",
      argv: ["sh", "-c", "ulimit -Hn"],
      over: () => ({ ulimits: [{ name: "nofile", soft: 1024, hard: hostHardNofile() + 1000 }] }),
      check: (r, c) => {
        const hard = hostHardNofile();
        if (c.mode === "root" && hasSysResource()) return expect([r.exitCode, r.stdout]).toEqual([0, `${hard + 1000}\n`]);
        expect(r.exitCode).toBe(125);
        expect(r.stderr).toContain(`"message":"cannot set ulimit nofile=1024:${hard + 1000}: the hard limit may not be raised above the current maximum of ${hard}"`);
      },
    },
  ];
}
