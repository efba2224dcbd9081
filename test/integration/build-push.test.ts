// `kiln build --push` and `--pull` against the real docker-registry: the
// pushed image pulls into an empty store with the same id and runs; skopeo
// reads it (gzip layers, what any registry client accepts); every -t is
// pushed; --pull follows a tag that moved in the registry, a build without
// it keeps the local base; a failed push leaves the image built.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { hasCommand, runKiln, skipReason, tempDir, type KilnResult } from "../harness.ts";
import { registryUnavailable, startRegistry, type RegistryServer } from "../lib/registry-server.ts";
import { cannotBuild, cannotBuildReason, openBuildStore, type BuildStore } from "./build-lib.ts";

const why = cannotBuild ? cannotBuildReason : registryUnavailable();
const skip = skipReason(why !== undefined, why ?? "");

const builtId = (r: KilnResult) => r.stdout.match(/Successfully built ([0-9a-f]{12})/)?.[1];

describe.skipIf(skip)("kiln build --push / --pull", () => {
  let reg: RegistryServer;
  let a: BuildStore;
  const dirs = tempDir("build-push");
  beforeAll(async () => {
    reg = await startRegistry();
    a = await openBuildStore("push-a");
  }, 60_000);
  afterAll(async () => {
    await reg?.stop();
    a?.[Symbol.dispose]();
    dirs[Symbol.dispose]();
  });

  test("--push pushes every -t after the build; the image pulls into an empty store and runs", async () => {
    const t1 = `${reg.host}/team/app:1`;
    const t2 = `${reg.host}/team/app-copy:1`;
    const r = await a.build('FROM alpine:3.20\nCOPY msg /msg\nCMD ["cat", "/msg"]\n', { msg: "pushed by build\n" }, ["-t", t1, "-t", t2, "--push"]);
    expect(r.exitCode).toBe(0);
    const digests = [...r.stdout.matchAll(/^1: digest: (sha256:[0-9a-f]{64}) size: \d+$/gm)].map((m) => m[1]);
    expect(digests.length).toBe(2);
    expect(digests[0]).toBe(digests[1]!);
    expect(r.stderr).toContain(`The push refers to repository [${reg.host}/team/app]`);
    expect(r.stderr).toContain("Mounted from team/app");

    const root = dirs.join("fresh");
    const pulled = await runKiln(["pull", t2], { root });
    expect(pulled.exitCode).toBe(0);
    expect(pulled.stderr).toContain(`Digest: ${digests[0]}`);
    const id = (await runKiln(["inspect", "--format", "{{.Id}}", t2], { root })).stdout.trim();
    expect(id.slice(7, 19)).toBe(builtId(r)!);
    expect((await runKiln(["run", "--rm", t2], { root })).stdout).toBe("pushed by build\n");
  }, 120_000);

  test.skipIf(!hasCommand("skopeo"))("skopeo reads the pushed image: gzip layers, the same config digest", async () => {
    const r = await a.build('FROM alpine:3.20\nRUN echo x > /x\n', {}, ["-t", `${reg.host}/team/skopeo:1`, "--push"]);
    expect(r.exitCode).toBe(0);
    const p = Bun.spawnSync(["skopeo", "inspect", "--raw", "--tls-verify=false", `docker://${reg.host}/team/skopeo:1`], { stderr: "pipe" });
    expect(p.exitCode).toBe(0);
    const manifest = JSON.parse(p.stdout.toString()) as { config: { digest: string }; layers: { mediaType: string }[] };
    expect(manifest.config.digest.slice(7, 19)).toBe(builtId(r)!);
    expect(manifest.layers.map((l) => l.mediaType)).toEqual(["application/vnd.oci.image.layer.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+gzip"]);
  }, 120_000);

  test("--pull follows a tag that moved in the registry; without it the local base stays", async () => {
    const base = `${reg.host}/lib/base:1`;
    expect((await runKiln(["push", "alpine:3.20", base], { root: a.root })).exitCode).toBe(0);
    const root = dirs.join("pull");
    using ctx = tempDir("pull-ctx", { Dockerfile: `FROM ${base}\nRUN cat /v 2>/dev/null || echo none > /seen\n` });
    const first = await runKiln(["build", "-t", "on-base", ctx.path], { root });
    expect(first.exitCode).toBe(0);
    // The tag moves: a different image is pushed under the same name.
    const v2 = await a.build("FROM alpine:3.20\nRUN echo v2 > /v\n", {}, ["-t", base, "--push"]);
    expect(v2.exitCode).toBe(0);
    const again = await runKiln(["build", "-t", "on-base", ctx.path], { root });
    expect(again.stdout).toContain(" ---> Using cache");
    expect(builtId(again)).toBe(builtId(first)!);
    const pulled = await runKiln(["build", "--pull", "-t", "on-base", ctx.path], { root });
    expect(pulled.exitCode).toBe(0);
    expect(pulled.stdout).not.toContain(" ---> Using cache");
    expect(pulled.stdout).toContain(`\n ---> ${builtId(v2)}\n`);
    expect((await runKiln(["run", "--rm", "on-base", "cat", "/v"], { root })).stdout).toBe("v2\n");
  }, 120_000);

  test("a push that fails is an error after the build; the image stays built", async () => {
    const l = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const dead = `127.0.0.1:${l.port}`;
    l.stop(true);
    const r = await a.build("FROM alpine:3.20\nENV X=1\n", {}, ["-t", `${dead}/team/app:1`, "--push"]);
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toContain("Successfully tagged");
    expect(r.stderr).toContain(`pushing ${dead}/team/app:1 failed: cannot reach registry ${dead}`);
    expect(r.stderr).toContain(`push it with kiln push ${dead}/team/app:1`);
  }, 60_000);
});
