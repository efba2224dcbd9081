// Deterministic fuzzing of the front-end: thousands of random and mutated
// Dockerfiles (seeded from BuildKit's conformance inputs when present, and a
// built-in corpus always). Whatever the input, the parser, lowering, stage
// graph, expansion and checks either succeed or fail with a DockerfileError
// that carries a line range; nothing else may be thrown, and nothing may hang.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DockerfileError, KilnError } from "../../../src/errors.ts";
import {
  buildStageGraph,
  checkDockerfile,
  DockerIgnore,
  dumpAst,
  expandInstruction,
  expandWord,
  lowerInstructions,
  parseDockerfile,
} from "../../../src/dockerfile/index.ts";
import { SHARED } from "../../harness.ts";

/** mulberry32: small, fast, deterministic. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const BUILTIN = [
  "# syntax=docker/dockerfile:1\nARG BASE=alpine\nFROM $BASE AS build\nRUN --mount=type=cache,target=/c <<EOF\nmake\nEOF\nCOPY --from=build --chmod=755 a /b\n",
  "# escape=`\nFROM scratch\nENV A=1 `\n  B=2\nLABEL x=\"y z\"\nHEALTHCHECK --interval=5s CMD [\"true\"]\nONBUILD RUN echo\n",
  "FROM a AS one\nFROM one\nCOPY <<X <<-'Y' /d\nx\nX\n\tY\n\tY\nWORKDIR ${W:-/w}\nEXPOSE 80/tcp\nUSER u:g\nVOLUME [\"/v\"]\nSTOPSIGNAL SIGTERM\nSHELL [\"/bin/sh\", \"-c\"]\nENTRYPOINT [\"e\"]\nCMD c\n",
];

const TOKENS = [
  "\\", "\\\n", "`", '"', "'", "$", "${", "}", "${A:-", "${A/", "${A#", "${A%%", "${A:?", "#", "# escape=`\n", "# check=skip=all\n",
  "<<EOF", "<<-'EOF'\n", "\nEOF\n", "\n", "\r\n", "\t", " ", "[", "]", '["a",', '["a"]', "--", "--from=", "--mount=",
  "type=cache,target=/x", "type=secret", "=", " AS ", "FROM ", "RUN ", "COPY ", "ADD ", "ONBUILD ", "HEALTHCHECK ", "ARG ",
  "ENV ", "LABEL ", "EXPOSE ", "CMD ", "SHELL ", "\u00a0", "\ufeff", "é", "🖖", "\u0000", ",", '""', "*", "?", "**/", "!", "0", "-1",
];

function corpus(): string[] {
  const out = [...BUILTIN];
  const base = SHARED ? join(SHARED, "conformance/buildkit-parser") : "";
  if (base && existsSync(base)) {
    for (const dir of ["testfiles", "testfiles-negative"]) {
      for (const name of readdirSync(join(base, dir))) out.push(readFileSync(join(base, dir, name, "Dockerfile"), "utf8"));
    }
    out.push(readFileSync(join(base, "testfile-line/Dockerfile"), "utf8"));
  }
  return out;
}

function mutate(src: string, r: () => number): string {
  let s = src;
  const ops = 1 + Math.floor(r() * 8);
  for (let i = 0; i < ops; i++) {
    const at = Math.floor(r() * (s.length + 1));
    const token = TOKENS[Math.floor(r() * TOKENS.length)]!;
    switch (Math.floor(r() * 6)) {
      case 0:
        s = s.slice(0, at) + token + s.slice(at);
        break;
      case 1:
        s = s.slice(0, at) + s.slice(at + Math.floor(r() * 20));
        break;
      case 2: {
        const lines = s.split("\n");
        const j = Math.floor(r() * lines.length);
        lines.splice(Math.floor(r() * lines.length), 0, lines[j]!);
        s = lines.join("\n");
        break;
      }
      case 3:
        s = s.slice(0, at);
        break;
      case 4:
        s = s.slice(0, at) + String.fromCharCode(Math.floor(r() * 0x3000)) + s.slice(at + 1);
        break;
      default:
        s = s.slice(0, at) + token.repeat(1 + Math.floor(r() * 4)) + s.slice(at);
    }
  }
  return s;
}

function generate(r: () => number): string {
  const lines: string[] = [];
  const n = 1 + Math.floor(r() * 12);
  for (let i = 0; i < n; i++) {
    let line = "";
    const parts = 1 + Math.floor(r() * 6);
    for (let j = 0; j < parts; j++) line += TOKENS[Math.floor(r() * TOKENS.length)]!;
    lines.push(line);
  }
  return lines.join(r() < 0.5 ? "\n" : "\r\n");
}

/** Anything thrown must be a DockerfileError placed on a real line. */
function expectLocated(err: unknown, src: string): void {
  if (!(err instanceof DockerfileError)) throw err;
  const lines = src.split("\n").length + 1;
  if (err.range) {
    expect(err.range.startLine).toBeGreaterThanOrEqual(1);
    expect(err.range.endLine).toBeLessThanOrEqual(lines);
    expect(err.range.endLine).toBeGreaterThanOrEqual(err.range.startLine);
  } else expect(err.message).toMatch(/target stage/); // the one error about the command line, not a line
}

function exercise(src: string, r: () => number): void {
  let parsed: ReturnType<typeof parseDockerfile>;
  try {
    parsed = parseDockerfile(src);
  } catch (err) {
    expectLocated(err, src);
    return;
  }
  dumpAst(parsed.ast);
  const errors: DockerfileError[] = [];
  const instructions = lowerInstructions(parsed, { errors });
  for (const e of errors) expectLocated(e, src);
  const env = { A: "a b", W: "", HOME: "/root", [TOKENS[Math.floor(r() * TOKENS.length)]!]: "x" };
  for (const inst of instructions) {
    try {
      expandInstruction(inst, env, { escape: parsed.escape, source: parsed.source });
    } catch (err) {
      expectLocated(err, src);
    }
  }
  const graphErrors: DockerfileError[] = [];
  buildStageGraph(instructions, { errors: graphErrors, target: r() < 0.2 ? "one" : undefined, escape: parsed.escape });
  for (const e of graphErrors) expectLocated(e, src);
  const checked = checkDockerfile(src);
  for (const e of checked.errors) expectLocated(e, src);
}

describe("fuzz: the front-end never crashes or hangs", () => {
  const seeds = corpus();
  test(`mutated inputs (${seeds.length} seeds × 100)`, () => {
    const r = rng(0x6b696c6e);
    let slowest = 0;
    for (const seed of seeds) {
      for (let i = 0; i < 100; i++) {
        const src = mutate(seed, r);
        const t0 = performance.now();
        exercise(src, r);
        slowest = Math.max(slowest, performance.now() - t0);
      }
    }
    // A generous bound that only a runaway (exponential) case would hit.
    expect(slowest).toBeLessThan(2000);
  }, 120_000);

  test("generated inputs (3000)", () => {
    const r = rng(42);
    for (let i = 0; i < 3000; i++) exercise(generate(r), r);
  }, 120_000);

  test("tolerant parsing never throws", () => {
    const r = rng(7);
    for (let i = 0; i < 2000; i++) {
      const src = generate(r);
      const errors: DockerfileError[] = [];
      parseDockerfile(src, { errors });
      for (const e of errors) expectLocated(e, src);
    }
  });

  test("shell words: a result or a DockerfileError (3000)", () => {
    const r = rng(99);
    for (let i = 0; i < 3000; i++) {
      let word = "";
      const n = 1 + Math.floor(r() * 10);
      for (let j = 0; j < n; j++) word += TOKENS[Math.floor(r() * TOKENS.length)]!;
      try {
        expandWord(word, { A: "x*y", B: "" }, r() < 0.5 ? "\\" : "`");
      } catch (err) {
        if (!(err instanceof DockerfileError)) throw err;
      }
    }
  });

  test(".dockerignore patterns: compile or KilnError, matching never throws (2000)", () => {
    const r = rng(1234);
    const paths = ["a", "a/b", "src/x.go", ".git/config", "é/🖖", "a b/c"];
    for (let i = 0; i < 2000; i++) {
      let text = "";
      const n = 1 + Math.floor(r() * 6);
      for (let j = 0; j < n; j++) text += TOKENS[Math.floor(r() * TOKENS.length)]! + (r() < 0.3 ? "\n" : "");
      let ig: DockerIgnore;
      try {
        ig = DockerIgnore.parse(text);
      } catch (err) {
        if (!(err instanceof KilnError)) throw err;
        continue;
      }
      for (const p of paths) {
        ig.matches(p);
        ig.canSkipDir(p);
      }
    }
  });
});
