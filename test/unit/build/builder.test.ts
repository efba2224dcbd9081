import { describe, expect, test } from "bun:test";
import { BuildDb } from "../../../src/build/build-db.ts";
import { runBuild, type BuildRequest } from "../../../src/build/builder.ts";
import type { BuildEvent } from "../../../src/build/events.ts";
import { formatEvent } from "../../../src/build/progress.ts";
import { DockerfileError } from "../../../src/errors.ts";
import { hostPlatform } from "../../../src/image/index.ts";
import { tempDir, type Tree } from "../../harness.ts";
import { FakeExecutor } from "./fake-executor.ts";

interface Built {
  id: string;
  events: BuildEvent[];
  text: string;
  exec: FakeExecutor;
}

async function build(dockerfile: string, opts: Partial<BuildRequest> & { exec?: FakeExecutor; tree?: Tree; contextDir?: string } = {}): Promise<Built> {
  const exec = opts.exec ?? baseExecutor();
  using ctx = tempDir("builder", opts.tree ?? {});
  const events: BuildEvent[] = [];
  const req: BuildRequest = {
    dockerfile: { text: dockerfile, name: "Dockerfile" },
    contextDir: opts.contextDir ?? ctx.path,
    tags: ["t:1"],
    buildArgs: [],
    env: {},
    noCache: false,
    pull: false,
    labels: [],
    network: "host",
    extraHosts: [],
    quiet: false,
    ...opts,
  };
  const { id } = await runBuild(req, {
    exec,
    emit: (e) => events.push(e),
    isLive: () => false,
    db: new BuildDb(undefined),
    tempDir: async () => ctx.path,
    cacheMountRoot: ctx.join("cache"),
  });
  return { id, events, text: events.map((e) => formatEvent(e)).join(""), exec };
}

function baseExecutor(): FakeExecutor {
  const exec = new FakeExecutor();
  exec.addImage("alpine", { config: { Env: ["PATH=/usr/bin:/bin"], Cmd: ["/bin/sh"] } });
  return exec;
}

async function config(b: Built) {
  return (await b.exec.getImage(b.id as never)).config;
}

describe("instructions → config and history (Docker 20.10 classic shapes)", () => {
  const rows: [string, string, (c: Awaited<ReturnType<typeof config>>) => void][] = [
    ["ENV/LABEL/EXPOSE/USER/CMD as config", "FROM alpine\nENV A=1\nLABEL l=v\nEXPOSE 80\nUSER nobody\nCMD [\"x\"]\n", (c) => {
      expect(c.config?.Env).toEqual(["PATH=/usr/bin:/bin", "A=1"]);
      expect(c.config?.Labels).toEqual({ l: "v" });
      expect(c.config?.ExposedPorts).toEqual({ "80/tcp": {} });
      expect(c.config?.User).toBe("nobody");
      expect(c.config?.Cmd).toEqual(["x"]);
    }],
    ["metadata steps are empty_layer history entries", "FROM alpine\nENV A=1\nCMD [\"redis-server\"]\n", (c) => {
      expect(c.history?.slice(1).map((h) => [h.created_by, h.empty_layer])).toEqual([
        ["/bin/sh -c #(nop)  ENV A=1", true],
        ['/bin/sh -c #(nop)  CMD ["redis-server"]', true],
      ]);
      expect(c.rootfs.diff_ids.length).toBe(1);
    }],
    ["build args reach history but not the config", "FROM alpine\nARG V=1\nRUN echo $V\n", (c) => {
      expect(c.history?.at(-1)?.created_by).toBe("|1 V=1 /bin/sh -c echo $V");
      expect(c.config?.Env).toEqual(["PATH=/usr/bin:/bin"]);
    }],
    ["a RUN that changes nothing adds no layer", "FROM alpine\nRUN true\n", (c) => {
      expect(c.history?.at(-1)).toMatchObject({ created_by: "/bin/sh -c true", empty_layer: true });
      expect(c.rootfs.diff_ids.length).toBe(1);
    }],
    ["WORKDIR creates the directory in a layer", "FROM alpine\nWORKDIR /app\n", (c) => {
      expect(c.history?.at(-1)).toEqual({ created: c.created, created_by: "/bin/sh -c #(nop) WORKDIR /app" });
      expect(c.rootfs.diff_ids.length).toBe(2);
    }],
    ["MAINTAINER becomes the author of later images", "FROM alpine\nMAINTAINER me\nENV A=1\n", (c) => {
      expect(c.author).toBe("me");
      expect(c.history?.at(-1)?.author).toBe("me");
    }],
    ["FROM scratch gets Docker's default PATH", "FROM scratch\nCMD [\"/x\"]\n", (c) => {
      expect(c.config?.Env).toEqual(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
      expect(c.rootfs.diff_ids).toEqual([]);
    }],
    ["ENV expands in later instructions", "FROM alpine\nENV D=/data\nWORKDIR $D/x\n", (c) => expect(c.config?.WorkingDir).toBe("/data/x")],
    ["SHELL changes RUN and nop history", "FROM alpine\nSHELL [\"/bin/bash\", \"-c\"]\nRUN echo\n", (c) => {
      expect(c.history?.at(-2)?.created_by).toBe("/bin/bash -c #(nop)  SHELL [/bin/bash -c]");
      expect(c.history?.at(-1)?.created_by).toBe("/bin/bash -c echo");
    }],
  ];
  for (const [name, df, check] of rows) test(name, async () => check(await config(await build(df))));

  test("RUN gets ENV, build args, USER and WORKDIR", async () => {
    const b = await build("FROM alpine\nARG V=1\nENV E=2\nUSER u\nWORKDIR /w\nRUN env\n", { buildArgs: ["V=cli"] });
    expect(b.exec.calls.at(-1)).toEqual({ op: "run", argv: ["/bin/sh", "-c", "env"], env: ["PATH=/usr/bin:/bin", "E=2", "V=cli"], cwd: "/w", user: "u", network: "host" });
  });

  test("COPY plans sources from the context and records Docker's hash", async () => {
    const b = await build("FROM alpine\nWORKDIR /app\nCOPY a.txt .\n", { tree: { "a.txt": "hello\n" } });
    const copy = b.exec.calls.find((c) => c.op === "copy");
    expect(copy).toMatchObject({ op: "copy", req: { cmd: "COPY", dest: "/app", rawDest: "." } });
    expect((await config(b)).history?.at(-1)?.created_by).toMatch(/^\/bin\/sh -c #\(nop\) COPY file:[0-9a-f]{64} in \. $/);
  });
});

describe("the build cache", () => {
  const df = "FROM alpine\nARG V=1\nCOPY a.txt /\nRUN cat /a.txt\nCMD [\"x\"]\n";
  test("a rebuild hits the cache on every step and gives the same id", async () => {
    const exec = baseExecutor();
    using ctx = tempDir("cache", { "a.txt": "1" });
    const first = await build(df, { exec, contextDir: ctx.path });
    const calls = exec.calls.length;
    const second = await build(df, { exec, contextDir: ctx.path });
    expect(second.id).toBe(first.id);
    expect(exec.calls.length).toBe(calls);
    expect(second.events.filter((e) => e.type === "cache-hit").length).toBe(4);
  });
  test("changing a source file re-runs from the COPY that uses it", async () => {
    const exec = baseExecutor();
    using ctx = tempDir("cache", { "a.txt": "1" });
    await build(df, { exec, contextDir: ctx.path });
    await Bun.write(ctx.join("a.txt"), "2");
    const b = await build(df, { exec, contextDir: ctx.path });
    expect(b.text).toMatch(/Step 2\/5 : ARG V=1\n ---> Using cache\n/);
    expect(b.text).toMatch(/Step 3\/5 : COPY a.txt \/\n ---> [0-9a-f]{12}\n/);
    expect(b.events.filter((e) => e.type === "cache-hit").length).toBe(1);
    expect(b.events.find((e) => e.type === "debug" && e.text.startsWith("cache miss"))).toBeDefined();
  });
  test("a different --build-arg misses from the first RUN that sees it", async () => {
    const exec = baseExecutor();
    using ctx = tempDir("cache", { "a.txt": "1" });
    await build(df, { exec, contextDir: ctx.path });
    const b = await build(df, { exec, contextDir: ctx.path, buildArgs: ["V=2"] });
    expect(b.events.filter((e) => e.type === "cache-hit").length).toBe(2);
  });
  test("--no-cache runs everything again", async () => {
    const exec = baseExecutor();
    using ctx = tempDir("cache", { "a.txt": "1" });
    await build(df, { exec, contextDir: ctx.path });
    const b = await build(df, { exec, contextDir: ctx.path, noCache: true });
    expect(b.events.some((e) => e.type === "cache-hit")).toBe(false);
  });
});

describe("RUN --mount=type=bind,from=…: the cache is asked before anything is copied out", () => {
  const rows: [string, string][] = [
    ["from a stage", "FROM alpine AS tools\nRUN make\nFROM alpine\nRUN --mount=type=bind,from=tools,source=/usr,target=/t ls /t\n"],
    ["from an image", "FROM alpine\nRUN --mount=type=bind,from=alpine,target=/t ls /t\n"],
    ["with a tmpfs and a cache mount too", "FROM alpine AS tools\nRUN make\nFROM alpine\nRUN --mount=type=tmpfs,target=/tmp --mount=type=cache,target=/c --mount=type=bind,from=tools,target=/t ls /t\n"],
  ];
  for (const [name, df] of rows) {
    test(name, async () => {
      const exec = baseExecutor();
      using ctx = tempDir("mount-cache", {});
      const first = await build(df, { exec, contextDir: ctx.path });
      const exports = () => exec.calls.filter((c) => c.op === "export");
      expect(exports().length).toBe(1);
      const calls = exec.calls.length;
      const second = await build(df, { exec, contextDir: ctx.path });
      expect(second.id).toBe(first.id);
      expect(exec.calls.length).toBe(calls); // no export, no run
      expect(second.events.filter((e) => e.type === "cache-hit").length).toBe(df.split("\n").filter((l) => l.startsWith("RUN")).length);
    });
  }
  test("the mounted stage's id is part of the key: a changed stage runs the RUN again", async () => {
    const exec = baseExecutor();
    using ctx = tempDir("mount-cache", {});
    const df = (v: string) => `FROM alpine AS tools\nRUN make ${v}\nFROM alpine\nRUN --mount=type=bind,from=tools,target=/t ls /t\n`;
    await build(df("1"), { exec, contextDir: ctx.path });
    await build(df("2"), { exec, contextDir: ctx.path });
    expect(exec.calls.filter((c) => c.op === "export").length).toBe(2);
  });
});

describe("errors at the right Dockerfile line", () => {
  const rows: [string, string, Partial<BuildRequest> & { tree?: Tree }, number, RegExp][] = [
    ["a failing RUN", "FROM alpine\nENV A=1\n\nRUN false\n", {}, 4, /RUN false: exit code 1\nThe command '\/bin\/sh -c false' returned a non-zero code: 1/],
    ["a missing COPY source", "FROM alpine\nCOPY nope /x\n", {}, 2, /COPY failed: file not found in build context or excluded by \.dockerignore: stat nope: file does not exist/],
    ["several sources into a non-directory", "FROM alpine\nCOPY a b /x\n", { tree: { a: "", b: "" } }, 2, /more than one source file, the destination must be a directory and end with a \//],
    ["a wildcard that matches nothing", "FROM alpine\nCOPY *.none /x/\n", {}, 2, /no source files were specified/],
    ["a missing base image", "FROM nothere:1\n", {}, 1, /image "nothere:1" is not in the local store/],
    ["a bad STOPSIGNAL", "FROM alpine\nSTOPSIGNAL SIGNOPE\n", {}, 2, /Invalid signal: SIGNOPE/],
  ];
  for (const [name, df, opts, line, re] of rows) {
    test(name, async () => {
      const exec = baseExecutor();
      exec.exitCode = (argv) => (argv.join(" ").endsWith("false") ? 1 : 0);
      const err = await build(df, { ...opts, exec }).then(() => undefined, (e) => e);
      expect(err).toBeInstanceOf(DockerfileError);
      expect((err as DockerfileError).range?.startLine).toBe(line);
      expect((err as DockerfileError).message).toMatch(re);
    });
  }
});

describe("COPY sources: wildcards that match nothing (Docker's getCopyInfosForSourcePaths)", () => {
  const tree: Tree = { "a.txt": "a", "f-1.txt": "1", "sub-b/x": "x" };
  const rows: [string, string, string[] | RegExp][] = [
    ["a wildcard matching nothing among other sources is dropped", "a.txt sub-* f-?.txt missing* /d/", ["a.txt", "sub-b", "f-1.txt"]],
    ["the same with the empty wildcard first", "missing* a.txt /d/", ["a.txt"]],
    ["a lone wildcard matching nothing fails", "missing* /d/", /^COPY failed: no source files were specified$/],
    ["several wildcards all matching nothing fail", "missing* none-?.txt /d/", /^COPY failed: no source files were specified$/],
    ["a missing plain file fails even when wildcards match", "sub-* nothere.txt /d/", /^COPY failed: file not found in build context or excluded by \.dockerignore: stat nothere\.txt/],
  ];
  for (const [name, args, want] of rows) {
    test(name, async () => {
      const got = await build(`FROM alpine\nCOPY ${args}\n`, { tree }).then(
        (b) => (b.exec.calls.find((c) => c.op === "copy") as { req: { items: { name: string }[] } }).req.items.map((i) => i.name),
        (e: DockerfileError) => {
          expect(e.range?.startLine).toBe(2);
          return e.message;
        },
      );
      if (want instanceof RegExp) expect(got).toMatch(want);
      else expect(got).toEqual(want);
    });
  }
});

// BuildKit's and Buildah's rule (kiln follows it; Docker 20.10's classic builder leaves them unset):
// platform args are predefined globals, a stage gets one by declaring it, RUN sees only declared ones.
describe("platform ARGs (TARGETPLATFORM…) as BuildKit predefines them", () => {
  const host = hostPlatform();
  const plat = `${host.os}/${host.architecture}${host.variant ? `/${host.variant}` : ""}`;
  const rows: [string, string, Partial<BuildRequest>, string[], string[]][] = [
    ["declared in the stage: RUN gets the value", "FROM alpine\nARG TARGETPLATFORM\nARG TARGETARCH\nRUN env\n", {}, [`TARGETARCH=${host.architecture}`, `TARGETPLATFORM=${plat}`], []],
    ["not declared: RUN does not see it", "FROM alpine\nRUN env\n", {}, [], ["TARGETPLATFORM", "TARGETARCH", "BUILDPLATFORM"]],
    ["BUILD* too", "FROM alpine\nARG BUILDOS\nARG BUILDARCH\nRUN env\n", {}, [`BUILDARCH=${host.architecture}`, `BUILDOS=${host.os}`], []],
    ["a global ARG without value keeps the predefined value", "ARG TARGETOS\nFROM alpine\nARG TARGETOS\nRUN env\n", {}, [`TARGETOS=${host.os}`], []],
    ["a stage ARG with a default uses its default", "FROM alpine\nARG TARGETOS=custom\nRUN env\n", {}, ["TARGETOS=custom"], []],
    ["--build-arg replaces it", "FROM alpine\nARG TARGETVARIANT\nRUN env\n", { buildArgs: ["TARGETVARIANT=v9"] }, ["TARGETVARIANT=v9"], []],
  ];
  for (const [name, df, opts, has, lacks] of rows) {
    test(name, async () => {
      const b = await build(df, opts);
      const run = b.exec.calls.find((c) => c.op === "run") as { env: string[] };
      for (const kv of has) expect(run.env).toContain(kv);
      for (const k of lacks) expect(run.env.some((kv) => kv.startsWith(`${k}=`))).toBe(false);
    });
  }
  test("FROM lines expand them without any ARG line", async () => {
    const exec = baseExecutor();
    const base = exec.addImage(`base-${host.architecture}`);
    const b = await build("FROM base-$TARGETARCH\nRUN env\n", { exec });
    expect((await config(b)).rootfs.diff_ids[0]).toBe(base.config.rootfs.diff_ids[0]!);
  });
  test("history and cache key carry the declared ones, as build args do", async () => {
    const b = await build("FROM alpine\nARG TARGETPLATFORM\nRUN echo $TARGETPLATFORM\n");
    expect((await config(b)).history?.at(-1)?.created_by).toBe(`|1 TARGETPLATFORM=${plat} /bin/sh -c echo $TARGETPLATFORM`);
  });
});

describe("stages", () => {
  test("--target builds only the stages it needs", async () => {
    const df = "FROM alpine AS a\nRUN echo a\nFROM alpine AS b\nRUN echo b\nFROM alpine AS c\nCOPY --from=a /x /x\n";
    const b = await build(df, { target: "c" });
    const runs = b.exec.calls.filter((c) => c.op === "run").map((c) => (c as { argv: string[] }).argv.at(-1));
    expect(runs).toEqual(["echo a"]);
    expect(b.text).toContain("Step 1/4 : FROM alpine AS a");
    expect(b.text).toContain("Step 4/4 : COPY --from=a /x /x");
  });
  test("COPY --from reads the earlier stage's image", async () => {
    const b = await build("FROM alpine AS build\nRUN make\nFROM scratch\nCOPY --from=build /out /out\n");
    const copy = b.exec.calls.find((c) => c.op === "copy") as { req: { from?: { image: { id: string }; sources: string[] } } };
    expect(copy.req.from?.sources).toEqual(["out"]);
    const built = b.exec.calls.find((c) => c.op === "run");
    expect(built).toBeDefined();
  });
  test("ONBUILD triggers of the base run right after FROM", async () => {
    const exec = baseExecutor();
    exec.addImage("parent", { config: { OnBuild: ["RUN echo triggered"] } });
    const b = await build("FROM parent\nCMD [\"x\"]\n", { exec });
    expect(b.text).toContain("# Executing 1 build trigger\n");
    expect(exec.calls.some((c) => c.op === "run" && c.argv.at(-1) === "echo triggered")).toBe(true);
    expect((await config(b)).config?.OnBuild).toBeUndefined();
  });
  test("an unused --build-arg is a warning, like Docker's", async () => {
    const b = await build("FROM alpine\nRUN true\n", { buildArgs: ["NOPE=1"] });
    expect(b.text).toContain("[Warning] One or more build-args [NOPE] were not consumed\n");
  });
  test("--label adds LABEL steps to the target", async () => {
    const b = await build("FROM alpine\n", { labels: [["k", "v"]] });
    expect(b.text).toContain("Step 2/2 : LABEL k=v");
    expect((await config(b)).config?.Labels).toEqual({ k: "v" });
  });
  test("FROM scratch alone produces no image", async () => {
    expect(await build("FROM scratch\n").then(() => "ok", (e: Error) => e.message)).toMatch(/No image was generated/);
  });
});
