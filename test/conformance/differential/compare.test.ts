// The comparator, the expected-differences matcher and the FROM-line reader,
// on hand-written snapshots and Dockerfiles.
import { describe, expect, test } from "bun:test";
import { compareSnapshots, formatDifference, type Difference } from "./compare.ts";
import { classify, loadExpectations, type Expectation } from "./expected.ts";
import type { FsEntry } from "./flatten.ts";
import { expandDefaults, fromImages, logicalLines } from "./from-lines.ts";
import { failureLine, pickConfig, type Snapshot } from "./snapshot.ts";

const f = (extra: Partial<FsEntry> = {}): FsEntry => ({ type: "file", mode: 0o644, uid: 0, gid: 0, size: 1, sha256: "sha256:aa", ...extra });
const snap = (files: Record<string, FsEntry>, config: Snapshot["config"] = {}, history: Snapshot["history"] = []): Snapshot => ({ built: true, files, config, history });

describe("compareSnapshots", () => {
  const rows: { name: string; a: Snapshot; b: Snapshot; want: Partial<Difference>[] }[] = [
    { name: "identical snapshots have no differences", a: snap({ "/x": f() }), b: snap({ "/x": f() }), want: [] },
    { name: "a missing file is one 'exists' difference", a: snap({ "/x": f() }), b: snap({}), want: [{ kind: "file", path: "/x", field: "exists", oracle: "file", candidate: null }] },
    { name: "mode and owner differ field by field", a: snap({ "/x": f() }), b: snap({ "/x": f({ mode: 0o600, uid: 1 }) }), want: [{ field: "mode" }, { field: "uid" }] },
    { name: "content differs by size and digest", a: snap({ "/x": f() }), b: snap({ "/x": f({ size: 2, sha256: "sha256:bb" }) }), want: [{ field: "size" }, { field: "sha256" }] },
    { name: "xattrs compare regardless of key order", a: snap({ "/x": f({ xattrs: { a: "1", b: "2" } }) }), b: snap({ "/x": f({ xattrs: { b: "2", a: "1" } }) }), want: [] },
    { name: "config fields compare as values", a: snap({}, { Env: ["A=1"], Labels: { x: "y" } }), b: snap({}, { Env: ["A=2"], Labels: { x: "y" } }), want: [{ kind: "config", field: "Env" }] },
    {
      name: "history compares created_by and empty_layer, not timestamps",
      a: snap({}, {}, [{ created_by: "RUN a", empty_layer: false }]),
      b: snap({}, {}, [{ created_by: "RUN a", empty_layer: true }]),
      want: [{ kind: "history", path: "0", field: "empty_layer" }],
    },
    { name: "both builds refused: agreement", a: { built: false, error: "x" }, b: { built: false, error: "y" }, want: [] },
    { name: "both refused at the same line: agreement", a: { built: false, failedAt: 2 }, b: { built: false, failedAt: 2 }, want: [] },
    {
      name: "refused at different lines: one build difference",
      a: { built: false, failedAt: 2 },
      b: { built: false, failedAt: 3 },
      want: [{ kind: "build", field: "failed-at-line", oracle: 2, candidate: 3 }],
    },
    { name: "only one refused: one build difference", a: snap({}), b: { built: false, error: "boom" }, want: [{ kind: "build", field: "succeeded" }] },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const got = compareSnapshots(r.a, r.b);
      expect(got.length).toBe(r.want.length);
      r.want.forEach((w, i) => expect(got[i]).toMatchObject(w));
    });
  }

  test("modes print in octal", () => {
    expect(formatDifference({ kind: "file", path: "/x", field: "mode", oracle: 0o644, candidate: 0o600 })).toBe("file /x: mode 0644 (oracle) ≠ 0600 (candidate)");
  });
});

describe("pickConfig", () => {
  test("null, empty maps and empty lists are unset, but Cmd [] is kept", () => {
    expect(pickConfig({ config: { Env: null, Labels: {}, OnBuild: [], Cmd: [], Volumes: { "/v": {} }, Hostname: "abc" } })).toEqual({ Cmd: [], Volumes: { "/v": {} } });
  });
});

describe("expected differences", () => {
  const exp: Expectation[] = [
    { case: "*", kind: "history", field: "created_by", ignorePattern: "file:[0-9a-f]{4}", reason: "digest" },
    { case: "buildah/x", candidate: "kiln", kind: "file", path: "/etc/*", field: "exists", reason: "stub" },
    { case: "*", oracle: "buildah", kind: "config", path: "Entrypoint", reason: "buildah quirk" },
  ];
  const hist = (a: string, b: string): Difference => ({ kind: "history", path: "1", field: "created_by", oracle: a, candidate: b });
  const rows: { name: string; caseName: string; candidate: string; oracle?: string; d: Difference; explained: boolean }[] = [
    { name: "a pattern-only difference is explained", caseName: "any", candidate: "kiln", d: hist("COPY file:abcd in /", "COPY file:0123 in /"), explained: true },
    { name: "a difference beyond the pattern is not", caseName: "any", candidate: "kiln", d: hist("COPY file:abcd in /", "COPY file:0123 in /x"), explained: false },
    { name: "path globs match", caseName: "buildah/x", candidate: "kiln", d: { kind: "file", path: "/etc/hosts", field: "exists", oracle: null, candidate: "file" }, explained: true },
    { name: "another candidate is not covered", caseName: "buildah/x", candidate: "buildah", d: { kind: "file", path: "/etc/hosts", field: "exists", oracle: null, candidate: "file" }, explained: false },
    { name: "an oracle quirk is explained when that builder is the oracle", caseName: "c", candidate: "kiln", oracle: "buildah", d: { kind: "config", path: "Entrypoint", field: "Entrypoint", oracle: [], candidate: null }, explained: true },
    { name: "but not when another builder is the oracle", caseName: "c", candidate: "kiln", d: { kind: "config", path: "Entrypoint", field: "Entrypoint", oracle: [], candidate: null }, explained: false },
    { name: "another field is not covered", caseName: "buildah/x", candidate: "kiln", d: { kind: "file", path: "/etc/hosts", field: "mode", oracle: 1, candidate: 2 }, explained: false },
  ];
  for (const r of rows) {
    test(r.name, () => {
      const k = classify(exp, r.caseName, { oracle: r.oracle ?? "docker", candidate: r.candidate }, [r.d]);
      expect(k.explained.length).toBe(r.explained ? 1 : 0);
      expect(k.unexpected.length).toBe(r.explained ? 0 : 1);
    });
  }

  test("every entry of expected-differences.json has a reason", () => {
    for (const e of loadExpectations()) expect(e.reason.length).toBeGreaterThan(10);
  });
});

describe("FROM lines", () => {
  test.each([
    ["FROM mirror.gcr.io/busybox\n", ["mirror.gcr.io/busybox:latest"]],
    ["FROM busybox AS base\nFROM base\nCOPY --from=0 / /\n", ["busybox:latest"]],
    ["ARG ALPINE\nFROM ${ALPINE:-mirror.gcr.io/busybox}\n", ["mirror.gcr.io/busybox:latest"]],
    ["ARG B=alpine:3\nFROM $B\n", ["alpine:3"]],
    ["FROM quay.io/libpod/busybox${TARGETARCH:+@sha256:32} AS amd64\n", ["quay.io/libpod/busybox:latest"]],
    ["# comment\nFROM scratch\nFROM --platform=linux/amd64 alpine AS a\nFROM 1\n", ["alpine:latest"]],
    ["FROM x AS x\nFROM x\n", ["x:latest"]],
  ])("%p pulls %p", (text, want) => expect(fromImages(text)).toEqual(want));

  test("build args override declared meta ARGs only", () => {
    expect(fromImages("ARG B=busybox\nFROM $B\nFROM ${C:-alpine}\n", { B: "quay.io/x", C: "y" })).toEqual(["quay.io/x:latest", "alpine:latest"]);
  });

  test.each([
    ["${A:-d}", {}, "d"],
    ["${A:-d}", { A: "v" }, "v"],
    ["${A-d}", { A: "" }, ""],
    ["${A:+x}", { A: "v" }, "x"],
    ["$A/${B}", { A: "1", B: "2" }, "1/2"],
  ] as [string, Record<string, string>, string][])("expand %p with %p is %p", (w, vars, want) => expect(expandDefaults(w, vars)).toBe(want));
});

describe("failure lines", () => {
  const df = "# syntax=x\nFROM scratch\n\nCOPY a \\\n  # comment\n\n  b\nENV x=1\nCOPY c d\n";
  test("logical lines start where their first physical line is", () => {
    expect(logicalLines(df).map((l) => l.line)).toEqual([2, 4, 8, 9]);
  });
  test.each([
    ["kiln's Dockerfile:N prefix", "Step 1/4 : FROM scratch\nDockerfile:9: COPY failed: …", 9],
    ["Docker's parse error", "Dockerfile parse error line 8: unknown instruction", 8],
    ["Docker's last step, mapped to its line", "Step 1/4 : FROM scratch\n ---> \nStep 2/4 : COPY a b\nCOPY failed: file not found", 4],
    ["nothing to go by", "error", undefined],
  ] as [string, string, number | undefined][])("%s", (_name, output, want) => expect(failureLine(output, df)).toBe(want));
  test("kiln's prefix names the Dockerfile it was given", () => {
    expect(failureLine("/bin/sh: 1: x\nDockerfile.x:8: RUN x: exit code 2", df, "Dockerfile.x")).toBe(8);
  });
});
