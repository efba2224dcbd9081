// The seed's own example end to end: a Debian bookworm base from debootstrap,
// `kiln import`ed; `kiln build` of examples/redis (apt-get install
// redis-server in a RUN step, through the Debian mirror); `kiln run` of the
// result on the host network; and a PING over TCP answered with +PONG.
import { afterAll, describe, expect, test } from "bun:test";
import { REPO, canUnshare, cleanEnv, hasCommand, isRoot, kilnExe, skipReason, tempDir } from "../harness.ts";
import { debianMirrorReachable, debianTarball, freePort, kiln, notImplemented, redisCommand } from "./e2e-lib.ts";

const why = !isRoot
  ? "the redis e2e needs root (debootstrap)"
  : !canUnshare
    ? "this host cannot create namespaces"
    : !hasCommand("debootstrap")
      ? "debootstrap is not installed (scripts/setup-host.sh)"
      : !(await debianMirrorReachable())
        ? "the Debian mirror (deb.debian.org) is not reachable"
        : (await notImplemented("run"))
          ? "'kiln run' is not implemented yet"
          : undefined;
const skip = skipReason(why !== undefined, why ?? "");

describe.skipIf(skip)("redis on debian:bookworm, built and run by kiln", () => {
  const store = tempDir("e2e-redis");
  afterAll(() => store[Symbol.dispose]());

  test("kiln import of the debootstrapped rootfs", async () => {
    await kiln(["import", await debianTarball(), "debian:bookworm"], { root: store.path });
  }, 900_000);

  let id = "";
  test("kiln build examples/redis: apt-get install redis-server in a RUN step", async () => {
    const r = await kiln(["build", "-t", "kiln-redis", `${REPO}/examples/redis`], { root: store.path });
    expect(r.stdout).toMatch(/^Step 2\/3 : RUN apt-get update && apt-get install -y redis-server$/m);
    expect(r.stdout).toContain("Setting up redis-server");
    expect(r.stdout).toMatch(/Successfully tagged kiln-redis:latest\n$/);
    id = r.stdout.match(/Successfully built ([0-9a-f]{12})/)![1]!;
  }, 900_000);

  test("rebuilding with nothing changed uses the cache for every step and gives the same image", async () => {
    const r = await kiln(["build", "-t", "kiln-redis", `${REPO}/examples/redis`], { root: store.path });
    expect(r.stdout.match(/ ---> Using cache/g)?.length).toBe(2);
    expect(r.stdout).toContain(`Successfully built ${id}`);
  });

  test("kiln run (in the background): redis-server answers PING with +PONG on 127.0.0.1", async () => {
    const port = await freePort();
    const proc = Bun.spawn([kilnExe(), "run", "--rm", "--network", "host", "kiln-redis", "redis-server", "--port", String(port), "--save", "", "--appendonly", "no"], {
      env: cleanEnv({ KILN_ROOT: store.path }),
      stdout: "pipe",
      stderr: "pipe",
    });
    try {
      // Wait for redis to say it listens (its own log line), then talk to it.
      let out = "";
      const decoder = new TextDecoder();
      for await (const chunk of proc.stdout) {
        out += decoder.decode(chunk);
        if (out.includes("Ready to accept connections")) break;
      }
      expect(out).toContain("Ready to accept connections");
      expect(await redisCommand(port, "PING")).toBe("+PONG");
    } finally {
      proc.kill("SIGTERM");
      await proc.exited;
    }
  }, 120_000);
});
