// Every container keeps a log (also when run in the foreground), and rmi /
// prune leave the images of containers alone, as Docker does: through the
// compiled binary on a private store seeded with the Alpine minirootfs.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { canUnshare, cleanEnv, isRoot, kilnExe, runKiln, skipReason, tempDir, type KilnResult, type TempDir } from "../harness.ts";
import { hostMountsWith, processesWith, waitForOutput } from "../integration/sandbox-cases.ts";
import { ALPINE, kilnOk, noAlpine } from "../lib/alpine-store.ts";

const skip = noAlpine || skipReason(!canUnshare || !isRoot, "container tests run as root here (rootless: rootless.test.ts)");

interface Want {
  stdout?: string | RegExp;
  stderr?: string | RegExp;
  exitCode: number;
}

function check(r: KilnResult, want: Want): void {
  const match = (got: string, w: string | RegExp | undefined) => {
    if (typeof w === "string") expect(got).toBe(w);
    else if (w) expect(got).toMatch(w);
  };
  match(r.stdout, want.stdout);
  match(r.stderr, want.stderr);
  expect(r.exitCode).toBe(want.exitCode);
}

/** sha256 of what a kiln command wrote to stdout, bytes as they came. */
async function stdoutDigest(args: string[], root: string): Promise<string> {
  const p = Bun.spawn([kilnExe(), ...args], { env: cleanEnv({ KILN_ROOT: root }), stdin: "ignore", stdout: "pipe", stderr: "inherit" });
  const bytes = new Uint8Array(await new Response(p.stdout).arrayBuffer());
  expect(await p.exited).toBe(0);
  return new Bun.CryptoHasher("sha256").update(bytes).digest("hex");
}

describe.skipIf(skip)("container logs and rmi", () => {
  let t: TempDir;
  const root = () => t.join("store");
  const kiln = (args: string[], stdin?: string) => runKiln(args, { root: root(), stdin });
  const ids: Record<string, string> = {};
  const imageId = async (ref: string) => (await kilnOk(["inspect", "--format", "{{.Id}}", ref], root())).trim();
  const containerId = async (name: string) => {
    const line = (await kilnOk(["ps", "-a", "--no-trunc"], root())).split("\n").find((l) => l.endsWith(` ${name}`));
    return line?.split(" ")[0] ?? "";
  };

  beforeAll(async () => {
    t = tempDir("logs-rmi");
    await kilnOk(["import", ALPINE, "alpine:3.20"], root());
    // Two more images with ids of their own, for the rmi sequences.
    for (const name of ["stopped", "running"]) {
      await kilnOk(["import", "--change", `ENV IMAGE=${name}`, ALPINE, `${name}:1`], root());
      ids[name] = await imageId(`${name}:1`);
    }
  });
  afterAll(async () => {
    const left = (await kiln(["ps", "-a", "-q"])).stdout.trim().split("\n").filter(Boolean);
    if (left.length > 0) await kiln(["rm", "-f", ...left]);
    expect(hostMountsWith(root())).toEqual([]);
    expect(processesWith(root())).toEqual([]);
    t[Symbol.dispose]();
  });

  // [name, run args, stdin, what the run shows, what `kiln logs NAME` shows afterwards]
  const logRows: [string, string[], string | undefined, Want, Want][] = [
    ["foreground: live output, status, then the log (stderr on stderr)", ["run", "--name", "fg", "alpine:3.20", "sh", "-c", "echo out; echo err >&2; echo more; exit 3"], undefined, { stdout: "out\nmore\n", stderr: "err\n", exitCode: 3 }, { stdout: "out\nmore\n", stderr: "err\n", exitCode: 0 }],
    ["foreground: /dev/stdout and /dev/stderr open (real pipes)", ["run", "--name", "devfd", "alpine:3.20", "sh", "-c", "echo a > /dev/stdout; echo b > /dev/stderr"], undefined, { stdout: "a\n", stderr: "b\n", exitCode: 0 }, { stdout: "a\n", stderr: "b\n", exitCode: 0 }],
    ["-i: stdin still reaches the process, its output is logged", ["run", "-i", "--name", "stdin", "alpine:3.20", "cat"], "typed\n", { stdout: "typed\n", exitCode: 0 }, { stdout: "typed\n", stderr: "", exitCode: 0 }],
    ["command not found: 127, the reason on stderr and in the log", ["run", "--name", "nocmd", "alpine:3.20", "nope"], undefined, { stderr: /executable file not found/, exitCode: 127 }, { stdout: "", stderr: /executable file not found/, exitCode: 0 }],
    ["--rm: output as before, no container left to read", ["run", "--rm", "--name", "gone", "alpine:3.20", "sh", "-c", "echo out; echo err >&2"], undefined, { stdout: "out\n", stderr: "err\n", exitCode: 0 }, { stderr: /No such container: gone/, exitCode: 1 }],
  ];
  for (const [name, args, stdin, live, logged] of logRows) {
    test(name, async () => {
      check(await kiln(args, stdin), live);
      check(await kiln(["logs", args[args.indexOf("--name") + 1]!]), logged);
    });
  }

  test("foreground: 800 KB of binary output, byte for byte, on the terminal and in the log", async () => {
    const file = await stdoutDigest(["run", "--rm", "alpine:3.20", "cat", "/bin/busybox"], root());
    expect(await stdoutDigest(["run", "--name", "big", "alpine:3.20", "cat", "/bin/busybox"], root())).toBe(file);
    expect(await stdoutDigest(["logs", "big"], root())).toBe(file);
  });

  test("foreground: SIGTERM to kiln reaches the container, and what it printed then is logged", async () => {
    const p = Bun.spawn([kilnExe(), "run", "--name", "term", "alpine:3.20", "sh", "-c", 'trap "echo got TERM; exit 7" TERM; echo started; while :; do sleep 0.05; done'], {
      env: cleanEnv({ KILN_ROOT: root() }),
      stdout: "pipe",
    });
    const { text, rest } = await waitForOutput(p.stdout, "started");
    p.kill("SIGTERM");
    expect(text + (await rest)).toBe("started\ngot TERM\n");
    expect(await p.exited).toBe(7);
    check(await kiln(["logs", "term"]), { stdout: "started\ngot TERM\n", exitCode: 0 });
  });

  test("-t: the terminal's output is logged too (under script(1))", async () => {
    const p = Bun.spawn(["script", "-qec", `${kilnExe()} run -t --name tty alpine:3.20 sh -c 'tty; echo e >&2'`, "/dev/null"], {
      env: cleanEnv({ KILN_ROOT: root() }),
      stdin: "ignore",
      stdout: "pipe",
    });
    expect(await new Response(p.stdout).text()).toMatch(/^\/dev\/pts\/0\r+\ne\r+\n$/);
    expect(await p.exited).toBe(0);
    check(await kiln(["logs", "tty"]), { stdout: "/dev/pts/0\r\ne\r\n", stderr: "", exitCode: 0 });
  });

  test("-d: logs as before, stderr on stderr", async () => {
    expect((await kiln(["run", "-d", "--name", "bg", "alpine:3.20", "sh", "-c", "echo a; echo b >&2; echo c"])).exitCode).toBe(0);
    const follow = await kiln(["logs", "-f", "bg"]); // returns once the container has exited
    check(follow, { stdout: "a\nc\n", stderr: "b\n", exitCode: 0 });
    check(await kiln(["logs", "bg"]), { stdout: "a\nc\n", stderr: "b\n", exitCode: 0 });
  });

  // The rmi sequences: [step, command (may use the ids), what it shows]. Steps run in order.
  const short = (id: string) => id.replace(/^sha256:/, "").slice(0, 12);
  type Step = [string, () => Promise<string[]>, Want | ((r: KilnResult) => Promise<void> | void)];
  const steps: Step[] = [
    ["a stopped container of stopped:1", async () => ["run", "--name", "st", "stopped:1", "sh", "-c", "echo kept"], { stdout: "kept\n", exitCode: 0 }],
    ["rmi of its only tag is refused (must force)", async () => ["rmi", "stopped:1"], async (r) => {
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(`conflict: unable to remove repository reference "stopped:1" (must force) - container ${short(await containerId("st"))} is using its referenced image ${short(ids.stopped!)}`);
      expect(r.stderr).toContain("kiln rm ");
    }],
    ["rmi by id is refused too (must be forced)", async () => ["rmi", short(ids.stopped!)], { stderr: /\(must be forced\) - image is being used by stopped container [0-9a-f]{12}\n/, exitCode: 1 }],
    ["rmi -f only untags", async () => ["rmi", "-f", "stopped:1"], { stdout: "Untagged: stopped:1\n", exitCode: 0 }],
    ["the image stays, untagged", async () => ["images", "-q", "--no-trunc"], (r) => expect(r.stdout).toContain(ids.stopped!)],
    ["the container's logs still work", async () => ["logs", "st"], { stdout: "kept\n", exitCode: 0 }],
    ["ps -a still lists it", async () => ["ps", "-a"], { stdout: /Exited \(0\) .*\sst\n/, exitCode: 0 }],
    // Docker's IMAGE column: the name while it still names the container's image, else the image id.
    ["ps -a shows the image id once its tag is gone", async () => ["ps", "-a", "--format", "{{.Image}} {{.Names}}"], (r) => expect(r.stdout.split("\n")).toContain(`${short(ids.stopped!)} st`)],
    ["ps -a --no-trunc: the full image id", async () => ["ps", "-a", "--no-trunc", "--format", "{{.Image}} {{.Names}}"], (r) => expect(r.stdout.split("\n")).toContain(`${ids.stopped} st`)],
    ["a container whose tag is intact keeps the name", async () => ["ps", "-a", "--format", "{{.Image}} {{.Names}}"], (r) => expect(r.stdout.split("\n")).toContain("alpine:3.20 bg")],
    ["the tag given to another image", async () => ["tag", "alpine:3.20", "stopped:1"], { stdout: "", exitCode: 0 }],
    ["ps -a still shows the id, not the name of another image", async () => ["ps", "-a", "--format", "{{.Image}} {{.Names}}"], (r) => expect(r.stdout.split("\n")).toContain(`${short(ids.stopped!)} st`)],
    ["that tag goes again", async () => ["rmi", "stopped:1"], { stdout: "Untagged: stopped:1\n", exitCode: 0 }],
    ["rmi -f by id cannot delete it while the container is there", async () => ["rmi", "-f", ids.stopped!], { stderr: /\(cannot be forced\) - image is being used by stopped container .*\nhint: remove the container first \(kiln rm /, exitCode: 1 }],
    ["prune keeps it", async () => ["prune"], async (r) => {
      expect(r.stdout).not.toContain(ids.stopped!);
      expect((await kiln(["images", "-q", "--no-trunc"])).stdout).toContain(ids.stopped!);
    }],
    ["kiln rm the container", async () => ["rm", "st"], { stdout: "st\n", exitCode: 0 }],
    ["then prune deletes the image", async () => ["prune"], (r) => expect(r.stdout).toContain(`deleted: ${ids.stopped}\n`)],

    ["a running container of running:1", async () => ["run", "-d", "--name", "rn", "running:1", "sleep", "1000"], { stdout: /^[0-9a-f]{64}\n$/, exitCode: 0 }],
    ["rmi -f by id is refused (cannot be forced)", async () => ["rmi", "-f", ids.running!], async (r) => {
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toContain(`conflict: unable to delete ${short(ids.running!)} (cannot be forced) - image is being used by running container ${short(await containerId("rn"))}`);
      expect(r.stderr).toContain("kiln rm -f ");
    }],
    ["rmi of its only tag is refused (must force)", async () => ["rmi", "running:1"], { stderr: /unable to remove repository reference "running:1" \(must force\)/, exitCode: 1 }],
    ["one of several tags: only untagged", async () => ["tag", "running:1", "running:2"], { exitCode: 0 }],
    ["rmi running:2 untags it", async () => ["rmi", "running:2"], { stdout: "Untagged: running:2\n", exitCode: 0 }],
    ["rmi -f of the last tag untags, the image stays (as docker)", async () => ["rmi", "-f", "running:1"], { stdout: "Untagged: running:1\n", exitCode: 0 }],
    ["prune keeps it while the container runs", async () => ["prune"], async (r) => {
      expect(r.stdout).not.toContain(ids.running!);
      expect((await kiln(["images", "-q", "--no-trunc"])).stdout).toContain(ids.running!);
    }],
    ["kiln rm -f the container", async () => ["rm", "-f", "rn"], { stdout: "rn\n", exitCode: 0 }],
    ["then rmi deletes the image", async () => ["rmi", ids.running!], (r) => check(r, { stdout: `Deleted: ${ids.running}\n`, exitCode: 0 })],
    ["and it is gone", async () => ["images", "-q", "--no-trunc"], (r) => expect(r.stdout).not.toContain(ids.running!)],
  ];
  for (const [name, args, want] of steps) {
    test(`rmi: ${name}`, async () => {
      const r = await kiln(await args());
      if (typeof want === "function") await want(r);
      else check(r, want);
    });
  }
});
