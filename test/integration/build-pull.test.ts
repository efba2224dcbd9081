// FROM an image that is not in the store: kiln build pulls it, like docker
// build; --pull pulls even when it is there. Against the real docker-registry
// on a free port, with an image kiln built and pushed from another store.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runKiln, skipReason, tempDir } from "../harness.ts";
import { registryUnavailable, startRegistry, type RegistryServer } from "../lib/registry-server.ts";
import { cannotBuild, cannotBuildReason, openBuildStore, type BuildStore } from "./build-lib.ts";

const why = cannotBuild ? cannotBuildReason : registryUnavailable();
const skip = skipReason(why !== undefined, why ?? "");

describe.skipIf(skip)("kiln build pulls missing base images", () => {
  let reg: RegistryServer;
  let source: BuildStore;
  const fresh = tempDir("build-pull");
  beforeAll(async () => {
    reg = await startRegistry();
    source = await openBuildStore("pull-src");
    const r = await runKiln(["push", "alpine:3.20", `${reg.host}/lib/alpine:3.20`], { root: source.root });
    if (r.exitCode !== 0) throw new Error(r.stderr);
  }, 60_000);
  afterAll(async () => {
    await reg?.stop();
    source?.[Symbol.dispose]();
    fresh[Symbol.dispose]();
  });

  test("FROM registry/name:tag that the store lacks is pulled, then built on", async () => {
    using ctx = tempDir("pull-ctx", { Dockerfile: `FROM ${reg.host}/lib/alpine:3.20\nRUN echo pulled > /p\n` });
    const r = await runKiln(["build", "-t", "on-pulled", ctx.path], { root: fresh.path });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("Successfully tagged on-pulled:latest");
    expect((await runKiln(["run", "--rm", "on-pulled", "cat", "/p"], { root: fresh.path })).stdout).toBe("pulled\n");
  }, 60_000);

  test("--pull pulls again even when the image is there; the build still hits the cache", async () => {
    using ctx = tempDir("pull-ctx", { Dockerfile: `FROM ${reg.host}/lib/alpine:3.20\nRUN echo pulled > /p\n` });
    const r = await runKiln(["build", "--pull", "-t", "on-pulled", ctx.path], { root: fresh.path });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(" ---> Using cache");
  }, 60_000);

  test("an image no registry has is an error naming it, on the FROM line", async () => {
    using ctx = tempDir("pull-ctx", { Dockerfile: `FROM ${reg.host}/lib/nothere:1\n` });
    const r = await runKiln(["build", ctx.path], { root: fresh.path });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^Dockerfile:1: /m);
    expect(r.stderr).toContain("lib/nothere");
  }, 60_000);
});
