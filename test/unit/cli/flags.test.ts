import { describe, expect, test } from "bun:test";
import { parseFlags } from "../../../src/cli/flags.ts";
import { UsageError } from "../../../src/errors.ts";

const build = {
  tag: { type: "string", alias: ["t"], multiple: true },
  file: { type: "string", alias: ["f"] },
  "no-cache": { type: "boolean" },
  "build-arg": { type: "string", multiple: true },
  quiet: { type: "boolean", alias: ["q"] },
  progress: { type: "enum", options: ["auto", "plain", "tty"], default: "auto" },
  context: { type: "positional", required: false, default: "." },
} as const;

const run = {
  rm: { type: "boolean" },
  interactive: { type: "boolean", alias: ["i"] },
  tty: { type: "boolean", alias: ["t"] },
  env: { type: "string", alias: ["e"], multiple: true },
  image: { type: "positional" },
  command: { type: "positional", rest: true, required: false },
} as const;

describe("parseFlags", () => {
  const rows: [string, Record<string, unknown>, string[], Record<string, unknown>][] = [
    ["repeated -t collects", build, ["-t", "a", "-t", "b:1", "."], { tag: ["a", "b:1"], context: "." }],
    ["--no-cache is its own flag", build, ["--no-cache", "ctx"], { "no-cache": true, context: "ctx" }],
    ["--flag=value", build, ["--file=Dockerfile.dev"], { file: "Dockerfile.dev" }],
    ["-fvalue glued", build, ["-fDockerfile.x"], { file: "Dockerfile.x" }],
    ["flags after the context", build, ["ctx", "-q"], { quiet: true, context: "ctx" }],
    ["enum default", build, [], { progress: "auto", context: "." }],
    ["stdin context", build, ["-"], { context: "-" }],
    ["clustered shorts", run, ["-it", "alpine"], { interactive: true, tty: true, image: "alpine" }],
    ["a short boolean's =value (pflag's -H=false)", run, ["-i=false", "alpine"], { interactive: false, image: "alpine" }],
    ["=value ends a cluster", run, ["-it=false", "alpine"], { interactive: true, tty: false, image: "alpine" }],
    ["run stops at the image", run, ["--rm", "alpine", "ls", "-la", "--rm"], { rm: true, image: "alpine", command: ["ls", "-la", "--rm"] }],
    ["-- ends flags", run, ["-e", "A=1", "--", "alpine", "-x"], { env: ["A=1"], image: "alpine", command: ["-x"] }],
  ];
  for (const [name, defs, argv, expected] of rows) {
    test(name, () => {
      const out = parseFlags(argv, defs as never, "x");
      for (const [k, v] of Object.entries(expected)) expect(out[k]).toEqual(v as never);
    });
  }

  const errors: [string, Record<string, unknown>, string[], RegExp][] = [
    ["unknown long flag suggests", build, ["--no-cach"], /unknown flag: --no-cach/],
    ["unknown short flag", build, ["-z"], /unknown flag: -z/],
    ["a short boolean's bad =value", run, ["-i=maybe", "alpine"], /invalid boolean value "maybe" for -i$/],
    ["missing value", build, ["-f"], /flag needs an argument: -f/],
    ["bad enum", build, ["--progress", "fancy"], /expected one of auto, plain, tty/],
    ["missing positional", run, ["--rm"], /requires IMAGE/],
    ["extra positional", build, ["a", "b"], /unexpected argument: b/],
  ];
  for (const [name, defs, argv, re] of errors) {
    test(name, () => {
      let caught: unknown;
      try {
        parseFlags(argv, defs as never, "x");
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(UsageError);
      expect((caught as UsageError).message).toMatch(re);
      expect((caught as UsageError).exitCode).toBe(2);
    });
  }

  test("a typo gets a did-you-mean hint", () => {
    try {
      parseFlags(["--no-cach"], build as never, "build");
    } catch (e) {
      expect((e as UsageError).hint).toContain("--no-cache");
    }
  });
});
