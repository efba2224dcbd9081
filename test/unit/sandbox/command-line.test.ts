import { describe, expect, test } from "bun:test";
import { mergeEnv, parseEnvFile, parseSecurityOpts, parseVolume, resolveCommand } from "../../../src/sandbox/command-line.ts";

describe("ENTRYPOINT and CMD, as docker run combines them", () => {
  const exec = { entrypoint: ["/ep", "-x"], cmd: ["c1", "c2"] };
  const shell = { entrypoint: ["/bin/sh", "-c", "ep $0"], cmd: null };
  const cmdOnly = { entrypoint: null, cmd: ["/bin/sh", "-c", "echo hi"] };
  const rows: [string, Parameters<typeof resolveCommand>[0], Parameters<typeof resolveCommand>[1], string[]][] = [
    ["entrypoint + image cmd", exec, { args: [] }, ["/ep", "-x", "c1", "c2"]],
    ["arguments replace the image cmd, keep the entrypoint", exec, { args: ["a"] }, ["/ep", "-x", "a"]],
    ["--entrypoint replaces the entrypoint and drops the image cmd", exec, { entrypoint: "/other", args: [] }, ["/other"]],
    ["--entrypoint with arguments", exec, { entrypoint: "/other", args: ["a", "b"] }, ["/other", "a", "b"]],
    ['--entrypoint "" leaves only the arguments', exec, { entrypoint: "", args: ["ls", "-l"] }, ["ls", "-l"]],
    ["--entrypoint is one word, never split", exec, { entrypoint: "echo hi", args: [] }, ["echo hi"]],
    ["shell-form entrypoint (stored as sh -c) takes arguments as $0…", shell, { args: ["x"] }, ["/bin/sh", "-c", "ep $0", "x"]],
    ["cmd only", cmdOnly, { args: [] }, ["/bin/sh", "-c", "echo hi"]],
    ["cmd only, replaced by arguments", cmdOnly, { args: ["id"] }, ["id"]],
  ];
  for (const [name, image, flags, want] of rows) test(name, () => expect(resolveCommand(image, flags)).toEqual(want));

  const none: [string, Parameters<typeof resolveCommand>[0], Parameters<typeof resolveCommand>[1]][] = [
    ["no entrypoint, no cmd, no arguments", { entrypoint: null, cmd: null }, { args: [] }],
    ['--entrypoint "" and no arguments (the image cmd is dropped)', exec, { entrypoint: "", args: [] }],
  ];
  for (const [name, image, flags] of none) {
    test(`error: ${name}`, () => {
      expect(() => resolveCommand(image, flags)).toThrow("No command specified");
    });
  }
});

describe("environment", () => {
  test("env file: comments and blank lines skipped, values literal", () => {
    expect(parseEnvFile("# c\nA=1\n\n  B= two \nC\r\nD=\"q\"\n")).toEqual(["A=1", "B= two ", "C", 'D="q"']);
  });
  const rows: [string, string[][], Record<string, string>, string[]][] = [
    ["later layers replace earlier keys in place", [["A=1", "B=2"], ["A=3"]], {}, ["A=3", "B=2"]],
    ["a bare name takes the host's value", [["PATH=/x"], ["HOME"]], { HOME: "/root" }, ["PATH=/x", "HOME=/root"]],
    ["a bare name the host lacks is dropped (even from the image)", [["A=1"], ["A"]], {}, []],
    ["values keep their = signs", [["A=b=c"]], {}, ["A=b=c"]],
  ];
  for (const [name, layers, host, want] of rows) test(name, () => expect(mergeEnv(layers, host)).toEqual(want));
});

describe("-v", () => {
  const rows: [string, string, { source: string; target: string; readonly: boolean }][] = [
    ["read-write by default", "/h:/c", { source: "/h", target: "/c", readonly: false }],
    ["ro", "/h:/c:ro", { source: "/h", target: "/c", readonly: true }],
    ["rw explicit, with SELinux label ignored", "/h:/c:rw,z", { source: "/h", target: "/c", readonly: false }],
    ["./relative host path", "./data:/c", { source: "/work/data", target: "/c", readonly: false }],
  ];
  for (const [name, spec, want] of rows) test(name, () => expect(parseVolume(spec, "/work")).toEqual(want));
  const bad: [string, string, string][] = [
    ["named volume", "vol:/c", "named volumes are not supported"],
    ["relative container path", "/h:c", "mount path must be absolute"],
    ["unknown mode", "/h:/c:rx", "invalid mode: rx"],
    ["no target", "/h", "invalid volume specification"],
  ];
  for (const [name, spec, msg] of bad) test(`error: ${name}`, () => expect(() => parseVolume(spec, "/")).toThrow(msg));
});

describe("parseSecurityOpts (--security-opt)", () => {
  const rows: [string, string[], boolean][] = [
    ["none given", [], false],
    ["seccomp=unconfined", ["seccomp=unconfined"], true],
    ["Docker's older seccomp:unconfined", ["seccomp:unconfined"], true],
  ];
  for (const [name, opts, want] of rows) test(name, () => expect(parseSecurityOpts(opts)).toEqual({ seccompUnconfined: want }));
  const bad = ["seccomp=/etc/profile.json", "apparmor=unconfined", "no-new-privileges", "label=disable", "seccomp"];
  for (const opt of bad) test(`error: ${opt} is not supported`, () => expect(() => parseSecurityOpts([opt])).toThrow(`--security-opt ${opt} is not supported`));
});
