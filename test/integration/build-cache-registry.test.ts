// The shared build cache in a real registry (Debian's docker-registry behind
// a counting proxy): machine A builds with --cache-to, machine B (an empty
// store) builds with --cache-from and must use the cache for every step, end
// with the same image id, and download only what it needs — the final
// image's layers, never the layers of a stage whose result is only read by
// a cached COPY --from.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { Store } from "../../src/store/index.ts";
import { runKiln, skipReason, tempDir, type KilnResult } from "../harness.ts";
import { startCountingProxy, type CountingProxy } from "../lib/counting-proxy.ts";
import { registryUnavailable, startRegistry, type RegistryServer } from "../lib/registry-server.ts";
import { cannotBuild, cannotBuildReason, openBuildStore, type BuildStore } from "./build-lib.ts";

const why = cannotBuild ? cannotBuildReason : registryUnavailable();
const skip = skipReason(why !== undefined, why ?? "");

const usingCache = (r: KilnResult) => r.stdout.split("\n").filter((l) => l === " ---> Using cache").length;
const builtId = (r: KilnResult) => r.stdout.match(/Successfully built ([0-9a-f]{12})/)?.[1];
const ran = (r: KilnResult) => r.stdout.split("\n").filter((l) => l.startsWith(" ---> Running in ")).length;

async function imageOf(root: string, name: string) {
  using s = await Store.open({ root });
  const image = await s.getImage(name);
  return { id: image.id, config: image.manifest.config.digest, layers: image.manifest.layers.map((l): string => l.digest), manifest: image.manifestDigest };
}

describe.skipIf(skip)("kiln build --cache-to / --cache-from (registry)", () => {
  let reg: RegistryServer;
  let proxy: CountingProxy;
  let a: BuildStore;
  const ctx = tempDir("cache-ctx");
  const stores = tempDir("cache-stores");
  let dockerfile = "";
  let cacheRef = "";
  let aBuild: KilnResult;

  beforeAll(async () => {
    reg = await startRegistry();
    proxy = startCountingProxy(reg.host);
    a = await openBuildStore("cache-a");
    const pushed = await runKiln(["push", "alpine:3.20", `${proxy.host}/lib/alpine:3.20`], { root: a.root });
    if (pushed.exitCode !== 0) throw new Error(pushed.stderr);
    dockerfile = [
      `FROM ${proxy.host}/lib/alpine:3.20 AS build`,
      "RUN head -c 2000000 /dev/urandom > /big && echo built > /out",
      `FROM ${proxy.host}/lib/alpine:3.20`,
      "ENV A=1",
      "COPY hello.txt /hello.txt",
      "COPY --from=build /out /out",
      "RUN cat /out /hello.txt > /both",
      'CMD ["cat", "/both"]',
      "",
    ].join("\n");
    writeFileSync(ctx.join("Dockerfile"), dockerfile);
    writeFileSync(ctx.join("hello.txt"), "hello\n");
    cacheRef = `${proxy.host}/app/cache:main`;
    aBuild = await runKiln(["build", "-t", "app", "--cache-to", `registry:${cacheRef}`, ctx.path], { root: a.root });
  }, 120_000);
  afterAll(async () => {
    proxy?.stop();
    await reg?.stop();
    a?.[Symbol.dispose]();
    ctx[Symbol.dispose]();
    stores[Symbol.dispose]();
  });

  test("machine A builds and exports every step (both stages) to the cache", () => {
    expect(aBuild.exitCode).toBe(0);
    expect(ran(aBuild)).toBe(2);
    expect(aBuild.stderr).toContain(`exported the build cache to ${cacheRef}: 6 steps, 6 new step images`);
  });

  test("machine B, empty store: every step uses the cache, same image id, only the final image's layers are downloaded", async () => {
    const root = stores.join("b");
    // Another checkout: another path, other mtimes and inodes; the keys must not care.
    using ctxB = tempDir("cache-ctx-b", { Dockerfile: dockerfile, "hello.txt": "hello\n" });
    proxy.reset();
    const r = await runKiln(["build", "-t", "app", "--cache-from", `registry:${cacheRef}`, ctxB.path], { root });
    expect(r.exitCode).toBe(0);
    expect(usingCache(r)).toBe(6);
    expect(ran(r)).toBe(0);
    expect(builtId(r)).toBe(builtId(aBuild)!);
    const final = await imageOf(a.root, "app");
    expect(await imageOf(root, "app")).toEqual(final);
    // Layers: exactly the final image's (Alpine's included: it is part of the image), each once.
    const layerGets = proxy.blobGets().filter((d) => final.layers.includes(d));
    expect(layerGets.sort()).toEqual([...final.layers].sort());
    // Every other blob fetched is a config (FROM's base, the stage COPY --from names, the final image): small.
    const others = proxy.requests.filter((q) => q.method === "GET" && /\/blobs\//.test(q.path) && !final.layers.some((l) => q.path.endsWith(l)));
    expect(others.length).toBeLessThanOrEqual(3);
    for (const o of others) expect(o.bytes).toBeLessThan(16_384);
    const layerBytes = proxy.requests.filter((q) => final.layers.some((l) => q.path.endsWith(l))).reduce((n, q) => n + q.bytes, 0);
    // The build stage's 2 MB random layer was not downloaded.
    expect(proxy.bytesDown() - layerBytes).toBeLessThan(64 * 1024);
    console.error(`machine B, fully cached: ${proxy.requests.length} requests, ${proxy.blobGets().length} blob GETs, ${proxy.bytesDown()} bytes down (final image layers ${layerBytes})`);
    const run = await runKiln(["run", "--rm", "app"], { root });
    expect(run.stdout).toBe("built\nhello\n");
  }, 120_000);

  test("re-exporting an unchanged build uploads nothing (one GET of the index)", async () => {
    proxy.reset();
    const r = await runKiln(["build", "-q", "--cache-from", `registry:${cacheRef}`, "--cache-to", `type=registry,ref=${cacheRef}`, ctx.path], { root: a.root });
    expect(r.exitCode).toBe(0);
    expect(proxy.requests.filter((q) => q.method !== "GET" && q.method !== "HEAD")).toEqual([]);
    expect(proxy.requests.filter((q) => q.path.includes("/app/cache/manifests/")).map((q) => q.method)).toEqual(["GET"]);
  }, 60_000);

  test("a changed file re-runs from its COPY on machine B; the stage COPY --from reads is fetched then", async () => {
    using changed = tempDir("cache-ctx2", { Dockerfile: dockerfile, "hello.txt": "changed\n" });
    const root = stores.join("b2");
    proxy.reset();
    const r = await runKiln(["build", "-t", "app2", "--cache-from", `registry:${cacheRef}`, changed.path], { root });
    expect(r.exitCode).toBe(0);
    const steps = r.stdout.split(/^Step /m).slice(1);
    const hit = (n: number) => steps[n - 1]!.includes(" ---> Using cache");
    expect([2, 4, 5, 6, 7, 8].map(hit)).toEqual([true, true, false, false, false, false]);
    expect(ran(r)).toBe(1);
    expect((await runKiln(["run", "--rm", "app2"], { root })).stdout).toBe("built\nchanged\n");
  }, 120_000);

  test("--cache-to another repository of the same registry mounts blobs it never downloaded", async () => {
    const root = stores.join("b3");
    const other = `${proxy.host}/other/cache:main`;
    proxy.reset();
    const r = await runKiln(["build", "-q", "--cache-from", `registry:${cacheRef}`, "--cache-to", `registry:${other}`, ctx.path], { root });
    expect(r.exitCode).toBe(0);
    const uploads = proxy.requests.filter((q) => q.method === "PATCH" || (q.method === "PUT" && q.path.includes("/blobs/uploads/")));
    expect(uploads).toEqual([]);
    expect(proxy.requests.some((q) => q.method === "POST" && q.path.includes("mount=") && q.status === 201)).toBe(true);
    // And that cache serves a fourth machine.
    const c = await runKiln(["build", "--cache-from", `registry:${other}`, ctx.path], { root: stores.join("c") });
    expect(c.exitCode).toBe(0);
    expect(usingCache(c)).toBe(6);
  }, 120_000);

  test("--cache-to another registry copies the step images it only had by reference", async () => {
    await using reg2 = await startRegistry();
    const root = stores.join("b4");
    const there = `${reg2.host}/mirror/cache:main`;
    const r = await runKiln(["build", "-q", "--cache-from", `registry:${cacheRef}`, "--cache-to", `registry:${there}`, ctx.path], { root });
    expect(r.exitCode).toBe(0);
    const c = await runKiln(["build", "--cache-from", `registry:${there}`, ctx.path], { root: stores.join("d") });
    expect(c.exitCode).toBe(0);
    expect(usingCache(c)).toBe(6);
    expect(builtId(c)).toBe(builtId(aBuild)!);
  }, 120_000);

  test("a cached RUN --mount=type=bind,from=STAGE downloads nothing of that stage", async () => {
    const df = [
      `FROM ${proxy.host}/lib/alpine:3.20 AS build`,
      "RUN head -c 2000000 /dev/urandom > /big && echo built > /out",
      `FROM ${proxy.host}/lib/alpine:3.20`,
      "RUN --mount=type=bind,from=build,target=/b cat /b/out > /copied",
      'CMD ["cat", "/copied"]',
      "",
    ].join("\n");
    using mctx = tempDir("cache-mount-ctx", { Dockerfile: df });
    const ref = `${proxy.host}/app/mount-cache:main`;
    const built = await runKiln(["build", "-t", "mnt", "--cache-to", `registry:${ref}`, mctx.path], { root: a.root });
    expect(built.exitCode).toBe(0);
    const root = stores.join("b5");
    proxy.reset();
    const r = await runKiln(["build", "-t", "mnt", "--cache-from", `registry:${ref}`, mctx.path], { root });
    expect(r.exitCode).toBe(0);
    expect(ran(r)).toBe(0);
    expect(usingCache(r)).toBe(3);
    const final = await imageOf(a.root, "mnt");
    const layerBytes = proxy.requests.filter((q) => final.layers.some((l) => q.path.endsWith(l))).reduce((n, q) => n + q.bytes, 0);
    // The build stage's 2 MB layer is not the final image's: it never came down.
    expect(proxy.bytesDown() - layerBytes).toBeLessThan(64 * 1024);
    expect((await runKiln(["run", "--rm", "mnt"], { root })).stdout).toBe("built\n");
  }, 120_000);

  test("--cache-to refuses to overwrite a tag that holds an image", async () => {
    const r = await runKiln(["build", "-q", "--cache-to", `registry:${proxy.host}/lib/alpine:3.20`, ctx.path], { root: a.root });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("is not a kiln build cache");
  }, 60_000);
});
