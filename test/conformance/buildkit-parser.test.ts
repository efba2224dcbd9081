// BuildKit's parser golden files (../shared/conformance/buildkit-parser), read
// at run time: every testfiles/* case dumps byte for byte to its `result`,
// every testfiles-negative case is rejected with a located DockerfileError,
// and testfile-line has BuildKit's start/end lines.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DockerfileError } from "../../src/errors.ts";
import { dumpAst, parseDockerfile } from "../../src/dockerfile/index.ts";
import { SHARED, skipReason } from "../harness.ts";

const BASE = SHARED ? join(SHARED, "conformance/buildkit-parser") : "";
const missing = skipReason(!SHARED || !existsSync(BASE), "shared/conformance/buildkit-parser is absent");
const cases = (dir: string): string[] => (missing ? [] : readdirSync(join(BASE, dir)).sort());

describe("buildkit parser golden dumps", () => {
  test.skipIf(missing)("the golden set is not empty", () => {
    expect(cases("testfiles").length).toBeGreaterThan(30);
  });
  for (const name of cases("testfiles")) {
    test(`${name}: dump equals result`, () => {
      const src = readFileSync(join(BASE, "testfiles", name, "Dockerfile"));
      const want = readFileSync(join(BASE, "testfiles", name, "result"), "utf8");
      expect(`${dumpAst(parseDockerfile(src).ast)}\n`).toBe(want);
    });
  }
});

describe("buildkit parser negative cases", () => {
  for (const name of cases("testfiles-negative")) {
    test(`${name}: rejected with a located error`, () => {
      const src = readFileSync(join(BASE, "testfiles-negative", name, "Dockerfile"));
      let err: unknown;
      try {
        parseDockerfile(src);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DockerfileError);
      expect((err as DockerfileError).range?.startLine).toBeGreaterThanOrEqual(1);
    });
  }
});

describe("buildkit parser line numbers", () => {
  // BuildKit's TestParseIncludesLineNumbers: a directive, blank lines, a
  // two-line ENV and a RUN whose continuation spans blank and comment lines.
  const expected: [string, number, number][] = [
    ["from", 5, 5],
    ["env", 11, 12],
    ["run", 17, 31],
  ];
  test.skipIf(missing)("testfile-line: start and end line of every instruction", () => {
    const result = parseDockerfile(readFileSync(join(BASE, "testfile-line/Dockerfile")));
    expect(result.ast.map((n) => [n.name, n.startLine, n.endLine])).toEqual(expected);
    expect(result.directives).toEqual([{ name: "escape", value: "\\", line: 1 }]);
  });
});
