// Where the context and the Dockerfile come from, as docker build takes them:
// a directory, a tar file, `-` (a tar or a bare Dockerfile on stdin), `-f -`,
// -f relative to the current directory, <Dockerfile>.dockerignore; and the
// flags kiln refuses.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { runKiln, skipReason, tempDir } from "../harness.ts";
import { cannotBuild, cannotBuildReason, openBuildStore, type BuildStore } from "./build-lib.ts";

const skip = skipReason(cannotBuild, cannotBuildReason);

describe.skipIf(skip)("build contexts", () => {
  let store: BuildStore;
  const ctx = tempDir("ctx-src", {
    Dockerfile: "FROM alpine:3.20\nCOPY a.txt /a.txt\n",
    "sub/Dockerfile.dev": "FROM alpine:3.20\nCOPY . /all/\n",
    "sub/Dockerfile.dev.dockerignore": "b.txt\n",
    ".dockerignore": "a.txt\n",
    "a.txt": "a\n",
    "b.txt": "b\n",
  });
  const tarFile = `${ctx.path}.tar.gz`;
  beforeAll(async () => {
    store = await openBuildStore("context");
    Bun.spawnSync(["tar", "-czf", tarFile, "-C", ctx.path, "Dockerfile", "a.txt"]);
  }, 60_000);
  afterAll(() => {
    store?.[Symbol.dispose]();
    ctx[Symbol.dispose]();
    Bun.spawnSync(["rm", "-f", tarFile]);
  });
  const kiln = (args: string[], opts: { stdin?: Uint8Array | string; cwd?: string } = {}) => runKiln(args, { root: store.root, ...opts });

  test("a compressed tar on stdin is the context", async () => {
    const r = await kiln(["build", "-t", "from-stdin-tar", "-"], { stdin: new Uint8Array(await Bun.file(tarFile).arrayBuffer()) });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
  });

  test("a tar file is the context", async () => {
    expect((await kiln(["build", tarFile])).exitCode).toBe(0);
  });

  test("a bare Dockerfile on stdin builds without context; COPY then says there is none", async () => {
    expect((await kiln(["build", "-"], { stdin: "FROM alpine:3.20\nRUN echo ok\n" })).exitCode).toBe(0);
    const r = await kiln(["build", "-"], { stdin: "FROM alpine:3.20\nCOPY x /x\n" });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/Dockerfile:2: COPY and ADD need a build context/);
  });

  test("-f - reads the Dockerfile from stdin with a directory context (its .dockerignore applies)", async () => {
    const r = await kiln(["build", "-f", "-", ctx.path], { stdin: "FROM alpine:3.20\nCOPY b.txt /b\nCOPY a.txt /a\n" });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/Dockerfile:3: COPY failed: file not found in build context or excluded by \.dockerignore: stat a\.txt/);
  });

  test("-f is relative to the current directory, and <Dockerfile>.dockerignore wins over .dockerignore", async () => {
    const r = await kiln(["build", "-f", "sub/Dockerfile.dev", "-t", "dev", "."], { cwd: ctx.path });
    expect(r.exitCode).toBe(0);
    const files = await store.files("dev");
    expect(files.has("/all/a.txt")).toBe(true);
    expect(files.has("/all/b.txt")).toBe(false);
  });

  test("a missing Dockerfile is a clear error", async () => {
    const r = await kiln(["build", "-f", "nope", ctx.path]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("nope");
  });

  const refused: [string[], RegExp, number][] = [
    [["build", "--frobnicate", "."], /unknown flag: --frobnicate/, 2],
    [["build", "--secret", "id=x", "."], /--secret x: there is no environment variable x and no file x/, 2],
    [["build", "--network", "bridge", "."], /--network=bridge is not supported/, 2],
    [["build", "--platform", "linux/arm64", "."], /builds for this host's platform/, 1],
  ];
  for (const [args, re, code] of refused) {
    test(`refused: ${args.slice(1, -1).join(" ")}`, async () => {
      const r = await kiln(args, { cwd: ctx.path });
      expect(r.exitCode).toBe(code);
      expect(r.stderr).toMatch(re);
    });
  }
});
