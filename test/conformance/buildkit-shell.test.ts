// BuildKit's shell-lexer tables (../shared/conformance/buildkit-shell), read at
// run time: every A and U line of envVarTest through expandWord, every line of
// wordsTest through expandWords (ENV lines set variables for the lines after).
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DockerfileError } from "../../src/errors.ts";
import { expandWord, expandWords } from "../../src/dockerfile/index.ts";
import { SHARED, skipReason } from "../harness.ts";

const BASE = SHARED ? join(SHARED, "conformance/buildkit-shell") : "";
const missing = skipReason(!SHARED || !existsSync(BASE), "shared/conformance/buildkit-shell is absent");
const read = (name: string): string[] => (missing ? [] : readFileSync(join(BASE, name), "utf8").split("\n"));

const ENV = new Map([
  ["PWD", "/home"],
  ["SHELL", "bash"],
  ["KOREAN", "한국어"],
  ["NULL", ""],
]);

function outcome<T>(fn: () => T): T | "error" {
  try {
    return fn();
  } catch (err) {
    if (!(err instanceof DockerfileError)) throw err;
    return "error";
  }
}

describe("envVarTest", () => {
  const rows = read("envVarTest")
    .map((line, i) => ({ line, n: i + 1 }))
    .filter(({ line }) => !line.startsWith("#") && line.trim() !== "");
  test.skipIf(missing)("the table is not empty and W lines are the only ones skipped", () => {
    expect(rows.length).toBeGreaterThan(200);
    expect(rows.every(({ line }) => ["A", "U", "W"].includes(line.split("|")[0]!.trim()))).toBe(true);
  });
  for (const { line, n } of rows) {
    const [platform, input, expected] = line.split("|").map((f) => f.trim()) as [string, string, string];
    if (platform === "W") continue;
    test(`line ${n}: ${input} → ${expected}`, () => {
      expect(outcome(() => expandWord(input, ENV).result)).toBe(expected);
    });
  }
});

describe("wordsTest", () => {
  const env = new Map<string, string>();
  const rows: { n: number; input: string; expected: string[]; env: Map<string, string> }[] = [];
  read("wordsTest").forEach((line, i) => {
    if (line.startsWith("#") || line === "") return;
    if (line.startsWith("ENV ")) {
      const kv = line.slice(3).replace(/^ +/, "");
      const eq = kv.indexOf("=");
      env.set(kv.slice(0, eq), kv.slice(eq + 1));
      return;
    }
    const [input, expected] = line.split("|") as [string, string];
    rows.push({ n: i + 1, input: input.trim(), expected: expected.replace(/^ +/, "").split(","), env: new Map(env) });
  });
  test.skipIf(missing)("the table is not empty", () => expect(rows.length).toBeGreaterThan(20));
  for (const { n, input, expected, env: vars } of rows) {
    test(`line ${n}: ${input} → ${expected.join(",")}`, () => {
      const got = outcome(() => expandWords(input, vars));
      expect(got === "error" ? ["error"] : got).toEqual(expected);
    });
  }
});
