// The build cache on real builds: a rebuild with nothing changed prints
// " ---> Using cache" for every step and gives the same image id; changing
// one context file re-runs from the first COPY that uses it; --no-cache
// runs everything; the stat-keyed hash cache makes an unchanged context
// cheap (its own sqlite file under <store>/build).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { skipReason, tempDir, writeTree } from "../harness.ts";
import { cannotBuild, cannotBuildReason, openBuildStore, type BuildStore } from "./build-lib.ts";

const skip = skipReason(cannotBuild, cannotBuildReason);
const DOCKERFILE = [
  "FROM alpine:3.20",
  "ARG V=1",
  "ENV APP=/app",
  "WORKDIR /app",
  "COPY static/ static/",
  "RUN echo built > stamp",
  "COPY src/ src/",
  "RUN cat src/* > all",
  'CMD ["cat", "/app/all"]',
  "",
].join("\n");

describe.skipIf(skip)("the build cache, real builds", () => {
  let store: BuildStore;
  const ctx = tempDir("cache-ctx");
  beforeAll(async () => {
    store = await openBuildStore("cache");
    writeTree(ctx.path, { Dockerfile: DOCKERFILE, "static/s.txt": "s", "src/a.txt": "a", "src/b.txt": "b" });
  }, 60_000);
  afterAll(() => {
    store?.[Symbol.dispose]();
    ctx[Symbol.dispose]();
  });

  let first = "";
  test("a first build runs every step", async () => {
    const r = await store.buildDir(ctx.path, ["-t", "cached"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain("Using cache");
    first = r.id!;
    expect(existsSync(join(store.root, "build", "build.db"))).toBe(true);
  }, 30_000);

  test("nothing changed: ' ---> Using cache' for every step, the same image", async () => {
    const r = await store.buildDir(ctx.path, ["-t", "cached"]);
    expect(r.stdout.match(/ ---> Using cache/g)?.length).toBe(8);
    expect(r.stdout).not.toContain("Running in");
    expect(r.id).toBe(first);
  });

  test("one changed source re-runs from the first COPY that uses it", async () => {
    await Bun.write(ctx.join("src/b.txt"), "B");
    const r = await store.buildDir(ctx.path, ["-t", "cached"]);
    const steps = r.stdout.split(/^Step /m).slice(1);
    const hit = steps.map((s) => s.includes("Using cache"));
    expect(hit).toEqual([false, true, true, true, true, true, false, false, false]);
    expect(r.id).not.toBe(first);
  }, 30_000);

  test("a different --build-arg misses from the first RUN it reaches", async () => {
    const r = await store.buildDir(ctx.path, ["-t", "cached", "--build-arg", "V=2"]);
    const steps = r.stdout.split(/^Step /m).slice(1);
    expect(steps.map((s) => s.includes("Using cache"))).toEqual([false, true, true, true, true, false, false, false, false]);
  }, 30_000);

  test("--no-cache runs every step again", async () => {
    const r = await store.buildDir(ctx.path, ["-t", "cached", "--no-cache"]);
    expect(r.stdout).not.toContain("Using cache");
  }, 30_000);

  test("--debug says why a step missed, naming the changed file", async () => {
    await Bun.write(ctx.join("static/s.txt"), "S");
    const r = await store.buildDir(ctx.path, ["--debug", "-t", "cached"]);
    expect(r.stderr).toMatch(/cache miss: source static\/s\.txt changed/);
  }, 30_000);
});
