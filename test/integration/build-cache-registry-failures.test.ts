// How `kiln build --cache-from/--cache-to` fails, against real registries:
// a cache that does not exist or a registry that is down while importing are
// warnings (the build goes on, as with Docker and BuildKit); a registry that
// is down while exporting is an error after the build, which leaves the
// image built; refused credentials are an error that names the registry and
// says to log in; flags kiln does not implement are usage errors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { runKiln, skipReason, tempDir, type KilnResult } from "../harness.ts";
import { registryUnavailable, startRegistry, type RegistryServer } from "../lib/registry-server.ts";
import { cannotBuild, cannotBuildReason } from "./build-lib.ts";

const why = cannotBuild ? cannotBuildReason : registryUnavailable();
const skip = skipReason(why !== undefined, why ?? "");

// FROM scratch: no base image to fetch, so only the cache talks to the registry.
const DOCKERFILE = "FROM scratch\nCOPY a.txt /a.txt\nENV K=v\nCOPY b.txt /b.txt\n";
const usingCache = (r: KilnResult) => r.stdout.split("\n").filter((l) => l === " ---> Using cache").length;

/** A port nothing listens on (bound, then released). */
function deadPort(): number {
  const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = l.port;
  l.stop(true);
  return port;
}

function authFile(path: string, host: string, user: string, password: string): string {
  writeFileSync(path, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`${user}:${password}`).toString("base64") } } }));
  return path;
}

describe.skipIf(skip)("kiln build --cache-from/--cache-to failure modes", () => {
  let reg: RegistryServer;
  let tokenReg: RegistryServer;
  const dirs = tempDir("cache-fail", { "ctx/Dockerfile": DOCKERFILE, "ctx/a.txt": "a\n", "ctx/b.txt": "b\n" });
  const ctx = dirs.join("ctx");
  beforeAll(async () => {
    [reg, tokenReg] = await Promise.all([startRegistry(), startRegistry({ auth: "token" })]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([reg?.stop(), tokenReg?.stop()]);
    dirs[Symbol.dispose]();
  });

  test("a cache reference that does not exist is a warning; the build runs", async () => {
    const r = await runKiln(["build", "--cache-from", `registry:${reg.host}/none/cache:x`, ctx], { root: dirs.join("s1") });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`build cache ${reg.host}/none/cache:x not found: building without it`);
    expect(r.stdout).toContain("Successfully built");
  }, 60_000);

  test("a registry that is down during --cache-from is a warning; the build runs", async () => {
    const host = `127.0.0.1:${deadPort()}`;
    const r = await runKiln(["build", "--cache-from", `type=registry,ref=${host}/app/cache:x`, ctx], { root: dirs.join("s2") });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`importing the build cache from ${host}/app/cache:x failed: cannot reach registry ${host}`);
    expect(r.stderr).toContain("building without it");
    expect(r.stdout).toContain("Successfully built");
  }, 60_000);

  test("a registry that is down during --cache-to is an error after the build; the image is built and tagged", async () => {
    const host = `127.0.0.1:${deadPort()}`;
    const root = dirs.join("s3");
    const r = await runKiln(["build", "-t", "kept", "--cache-to", `registry:${host}/app/cache:x`, ctx], { root });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain("Successfully tagged kept:latest");
    expect(r.stderr).toContain(`exporting the build cache to ${host}/app/cache:x failed: cannot reach registry ${host}`);
    expect(r.stderr).toMatch(/hint: the image [0-9a-f]{12} was built/);
    expect((await runKiln(["inspect", "--format", "{{.Id}}", "kept"], { root })).exitCode).toBe(0);
  }, 60_000);

  test("ignore-error=true turns a failed export into a warning", async () => {
    const host = `127.0.0.1:${deadPort()}`;
    const r = await runKiln(["build", "--cache-to", `type=registry,ref=${host}/app/cache:x,ignore-error=true`, ctx], { root: dirs.join("s4") });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain("(ignored: ignore-error=true)");
  }, 60_000);

  test("wrong credentials for --cache-from are an error before anything is built", async () => {
    const auth = authFile(dirs.join("bad.json"), tokenReg.host, "kiln", "wrong-password");
    const r = await runKiln(["build", "--authfile", auth, "--cache-from", `registry:${tokenReg.host}/app/cache:x`, ctx], { root: dirs.join("s5") });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).not.toContain("Step 2/");
    expect(r.stderr).toContain(`importing the build cache from ${tokenReg.host}/app/cache:x: ${tokenReg.host}: unauthorized: incorrect username or password`);
    expect(r.stderr).toContain(`hint: run kiln login ${tokenReg.host}`);
    expect(r.stderr).not.toContain("wrong-password");
  }, 60_000);

  test("wrong credentials for --cache-to are an error after the build", async () => {
    const auth = authFile(dirs.join("bad2.json"), tokenReg.host, "kiln", "wrong-password");
    const r = await runKiln(["build", "--authfile", auth, "--cache-to", `registry:${tokenReg.host}/app/cache:x`, ctx], { root: dirs.join("s6") });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain("Successfully built");
    expect(r.stderr).toContain("unauthorized: incorrect username or password");
    expect(r.stderr).toContain(`run kiln login ${tokenReg.host}`);
  }, 60_000);

  test("with the right credentials (Bearer tokens) the cache goes to and comes from the registry", async () => {
    const auth = authFile(dirs.join("good.json"), tokenReg.host, "kiln", tokenReg.users.kiln!);
    const ref = `${tokenReg.host}/team/cache:main`;
    const a = await runKiln(["build", "--authfile", auth, "--cache-to", `registry:${ref}`, ctx], { root: dirs.join("s7a") });
    expect(a.exitCode).toBe(0);
    const b = await runKiln(["build", "--authfile", auth, "--cache-from", `registry:${ref}`, ctx], { root: dirs.join("s7b") });
    expect(b.exitCode).toBe(0);
    expect(usingCache(b)).toBe(3);
    expect(b.stdout.match(/Successfully built (\w+)/)?.[1]).toBe(a.stdout.match(/Successfully built (\w+)/)?.[1]!);
  }, 60_000);

  test.each([
    ["--cache-to type=local", ["--cache-to", "type=local,dest=/tmp/x"], "type=local is not supported"],
    ["--cache-to mode=min", ["--cache-to", `type=registry,ref=localhost:5000/c:x,mode=min`], "mode=min is not supported"],
    ["--cache-from with an unknown option", ["--cache-from", "type=registry,ref=localhost:5000/c:x,foo=bar"], 'option "foo" is not supported'],
    ["--push without -t", ["--push"], "--push needs a name to push to"],
  ])("%s is a usage error", async (_name, flags, message) => {
    const r = await runKiln(["build", ...flags, ctx], { root: dirs.join("s8") });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(message);
  });
});
