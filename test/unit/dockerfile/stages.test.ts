import { describe, expect, test } from "bun:test";
import { DockerfileError } from "../../../src/errors.ts";
import {
  buildStageGraph,
  lowerInstructions,
  parseDockerfile,
  platformArgs,
  type StageGraph,
  type StageGraphOptions,
  stageArgValue,
} from "../../../src/dockerfile/index.ts";

const graph = (src: string, opts: StageGraphOptions = {}): StageGraph => {
  const parsed = parseDockerfile(src);
  return buildStageGraph(lowerInstructions(parsed), { source: parsed.source, ...opts });
};
const fails = (src: string, opts: StageGraphOptions = {}): DockerfileError => {
  try {
    graph(src, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(DockerfileError);
    return err as DockerfileError;
  }
  throw new Error("accepted");
};

const MULTI = [
  "ARG GO=1.22", // 1
  "ARG BASE=alpine:${ALPINE:-3.20}", // 2
  "FROM golang:${GO} AS Build", // 3
  "RUN make", // 4
  "FROM build AS test", // 5
  "RUN make test", // 6
  "FROM $BASE AS tools", // 7
  "FROM scratch", // 8
  "COPY --from=build /out /bin/app", // 9
  "RUN --mount=from=tools,target=/t true", // 10
  "COPY --from=busybox:1.36 /bin/sh /sh", // 11
].join("\n");

describe("buildStageGraph", () => {
  test("stages, names, bases after global-ARG expansion", () => {
    const g = graph(MULTI);
    expect(g.stages.map((s) => [s.index, s.displayName, s.baseName, s.base])).toEqual([
      [0, "build", "golang:1.22", { kind: "image", ref: "golang:1.22" }],
      [1, "test", "build", { kind: "stage", stage: 0 }],
      [2, "tools", "alpine:3.20", { kind: "image", ref: "alpine:3.20" }],
      [3, "stage-3", "scratch", { kind: "scratch" }],
    ]);
    expect(g.metaEnv).toMatchObject({ GO: "1.22", BASE: "alpine:3.20", TARGETPLATFORM: "linux/amd64" });
    expect(g.metaArgs.map((a) => a.args[0]!.key)).toEqual(["GO", "BASE"]);
  });
  test("edges: FROM <stage>, COPY --from stage and image, RUN --mount from", () => {
    expect(graph(MULTI).stages[3]!.edges).toEqual([
      { via: "FROM", line: 8, image: "scratch" },
      { via: "COPY --from", line: 9, stage: 0 },
      { via: "RUN --mount", line: 10, stage: 2 },
      { via: "COPY --from", line: 11, image: "busybox:1.36" },
    ]);
  });
  test("default target is the last stage; unused stages are pruned; dependencies first", () => {
    const g = graph(MULTI);
    expect(g.target).toBe(3);
    expect(g.order).toEqual([0, 2, 3]);
    expect(g.levels).toEqual([[0, 2], [3]]);
  });
  test("--target selects a stage case-insensitively and prunes the rest", () => {
    const g = graph(MULTI, { target: "TEST" });
    expect(g.target).toBe(1);
    expect(g.order).toEqual([0, 1]);
  });
  test("build args override global ARG defaults and feed later defaults", () => {
    const g = graph(MULTI, { buildArgs: { ALPINE: "3.19", GO: "1.21" } });
    expect(g.stages.map((s) => s.baseName)).toEqual(["golang:1.21", "build", "alpine:3.20", "scratch"]);
    expect(graph("ARG A\nARG B=x$A\nFROM $B", { buildArgs: { A: "1" } }).stages[0]!.baseName).toBe("x1");
  });
  test("platform args are usable in FROM without declaring them", () => {
    const g = graph("FROM --platform=$BUILDPLATFORM img:$TARGETARCH", {
      targetPlatform: { os: "linux", architecture: "arm64", variant: "v8" },
      buildPlatform: { os: "linux", architecture: "amd64" },
    });
    expect(g.stages[0]).toMatchObject({ baseName: "img:arm64", platform: "linux/amd64" });
    expect(g.undefinedInFrom).toEqual([]);
  });
  test("a --build-arg of a platform arg's name replaces it (BuildKit's setKVValue)", () => {
    const g = graph("FROM img:$TARGETARCH", { targetPlatform: { os: "linux", architecture: "amd64" }, buildArgs: { TARGETARCH: "riscv64" } });
    expect(g.stages[0]!.baseName).toBe("img:riscv64");
    expect(g.metaEnv.TARGETARCH).toBe("riscv64");
  });
  test("variables in FROM that no global ARG declares are reported", () => {
    expect(graph("ARG DECLARED\nFROM x${DECLARED}${NOPE}").undefinedInFrom).toEqual([{ name: "NOPE", line: 2 }]);
  });
  test("COPY --from by index and with a global ARG", () => {
    const g = graph("ARG S=one\nFROM a AS one\nFROM b\nCOPY --from=0 / /\nCOPY --from=$S / /");
    expect(g.stages[1]!.dependsOn).toEqual([0]);
    expect(g.stages[1]!.edges.slice(1).map((e) => e.stage)).toEqual([0, 0]);
  });
  test("FROM only sees earlier stages: a later name is an image", () => {
    expect(graph("FROM later AS first\nFROM a AS later").stages[0]!.base).toEqual({ kind: "image", ref: "later" });
  });
  test("a duplicated name resolves to the last stage of that name before the FROM", () => {
    expect(graph("FROM a AS x\nFROM b AS x\nFROM x").stages[2]!.base).toEqual({ kind: "stage", stage: 1 });
  });
  test("independent stages share a level", () => {
    const g = graph("FROM a AS a\nFROM b AS b\nFROM c AS c\nFROM d\nCOPY --from=a / /\nCOPY --from=b / /\nCOPY --from=c / /");
    expect(g.levels).toEqual([[0, 1, 2], [3]]);
  });
});

describe("stage graph errors", () => {
  const rows: [string, string, StageGraphOptions, string, number | undefined][] = [
    ["self reference", "FROM busybox AS stage0\nCOPY --from=stage0 f1 /sub/", {}, "circular dependency detected on stage: stage0 (stage0 → stage0)", 2],
    [
      "three-stage cycle",
      "FROM busybox AS stage0\nCOPY --from=stage2 f1 /sub/\nFROM busybox AS stage1\nCOPY --from=stage0 f2 /sub/\nFROM busybox AS stage2\nCOPY --from=stage1 f2 /sub/",
      {},
      "circular dependency detected on stage: stage0 (stage0 → stage2 → stage1 → stage0)",
      4,
    ],
    ["unknown target with suggestion", "FROM a AS build\nFROM b AS test", { target: "buidl" }, 'target stage "buidl" could not be found (did you mean build?)', undefined],
    ["stage index out of range", "FROM a\nFROM b\nCOPY --from=5 / /", {}, "COPY --from=5: there is no build stage 5 (stages are numbered 0 to 1)", 3],
    ["instruction before FROM", "ARG A\nRUN x\nFROM a", {}, "RUN before the first FROM: no build stage in current context", 2],
    ["no FROM at all", "ARG A", {}, "the Dockerfile has no FROM: no stages to build", 1],
    ["blank base name", "ARG IMG\nFROM $IMG", {}, "FROM: base name ($IMG) should not be blank", 2],
    ["bad substitution in FROM", "FROM ${", {}, "FROM: failed to process", 1],
  ];
  for (const [name, src, opts, message, line] of rows) {
    test(name, () => {
      const err = fails(src, opts);
      expect(err.message).toContain(message);
      expect(err.code).toBe("E_DOCKERFILE_STAGE");
      expect(err.range?.startLine).toBe(line);
    });
  }
  test("with an errors sink, every problem is collected", () => {
    const errors: DockerfileError[] = [];
    const parsed = parseDockerfile("RUN x\nFROM a\nCOPY --from=9 / /\nCOPY --from=8 / /");
    buildStageGraph(lowerInstructions(parsed), { errors, target: "nope" });
    expect(errors.map((e) => e.range?.startLine)).toEqual([1, 3, 4, undefined]);
  });
});

describe("ARG values", () => {
  const meta = { ...platformArgs({ os: "linux", architecture: "arm64" }, { os: "linux", architecture: "amd64" }), VERSION: "2" };
  const rows: [string, { key: string; value?: string }, Record<string, string>, string | undefined][] = [
    ["build arg wins over the default", { key: "A", value: "d" }, { A: "b" }, "b"],
    ["default", { key: "A", value: "d" }, {}, "d"],
    ["re-declared global ARG inherits the global value", { key: "VERSION" }, {}, "2"],
    ["platform args are predefined globals", { key: "TARGETARCH" }, {}, "arm64"],
    ["declared without value", { key: "NEW" }, {}, undefined],
  ];
  for (const [name, def, buildArgs, want] of rows) test(name, () => expect(stageArgValue(def, buildArgs, meta)).toBe(want));
  test("platformArgs", () => {
    expect(platformArgs({ os: "linux", architecture: "arm", variant: "v7" }, { os: "linux", architecture: "amd64" })).toEqual({
      TARGETPLATFORM: "linux/arm/v7",
      TARGETOS: "linux",
      TARGETARCH: "arm",
      TARGETVARIANT: "v7",
      BUILDPLATFORM: "linux/amd64",
      BUILDOS: "linux",
      BUILDARCH: "amd64",
      BUILDVARIANT: "",
    });
  });
});
