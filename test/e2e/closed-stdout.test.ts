// kiln with its stdout a pipe whose reader is gone (`kiln images | head -0`,
// `kiln build . | true`): no message, and the command's own exit status, as
// git and the docker CLI behave (cli/output.ts). The pipe is made closed
// before kiln starts (pipe(2), read end closed), so every write meets EPIPE:
// no race with a reader that might still be there.
import { dlopen, FFIType } from "bun:ffi";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { cleanEnv, kilnExe, skipReason, tempDir, type KilnResult, type Tree } from "../harness.ts";
import { cannotBuild, cannotBuildReason, openBuildStore, type BuildStore } from "../integration/build-lib.ts";

const libc = dlopen("libc.so.6", {
  pipe: { args: [FFIType.ptr], returns: FFIType.i32 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
});

/** Run kiln with stdout the write end of a pipe whose read end is already closed. */
async function runClosedStdout(args: string[], root: string, cwd?: string): Promise<KilnResult> {
  const fds = new Int32Array(2);
  if (libc.symbols.pipe(fds) !== 0) throw new Error("pipe(2) failed");
  libc.symbols.close(fds[0]!);
  try {
    const proc = Bun.spawn([kilnExe(), ...args], { env: cleanEnv({ KILN_ROOT: root }), cwd, stdin: "ignore", stdout: fds[1]!, stderr: "pipe" });
    const [stderr, exitCode] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
    return { exitCode, stdout: "", stderr };
  } finally {
    libc.symbols.close(fds[1]!);
  }
}

afterAll(() => libc.close());

describe("a closed stdout is no error", () => {
  const store = tempDir("closed-stdout-store");
  const ctx = tempDir("closed-stdout-ctx", { Dockerfile: "FROM scratch\nRUN x\n" });
  afterAll(() => {
    store[Symbol.dispose]();
    ctx[Symbol.dispose]();
  });
  const rows: [string, string[], number, RegExp | ""][] = [
    ["--version", ["--version"], 0, ""],
    ["--help", ["--help"], 0, ""],
    ["a command's --help", ["images", "--help"], 0, ""],
    ["version", ["version"], 0, ""],
    ["images (the header line)", ["images"], 0, ""],
    ["check --print-ast", ["check", "--print-ast", "-f", ctx.join("Dockerfile")], 0, ""],
    ["a usage error keeps its message and status", ["images", "--frobnicate"], 2, /unknown flag: --frobnicate/],
    ["a failing command keeps its message and status", ["inspect", "nothere"], 1, /No such (image|object)/],
  ];
  for (const [name, args, code, stderr] of rows) {
    test(name, async () => {
      const r = await runClosedStdout(args, store.path);
      expect(r.stderr).not.toContain("EPIPE");
      expect(r.stderr).not.toContain("internal error");
      if (stderr === "") expect(r.stderr).toBe("");
      else expect(r.stderr).toMatch(stderr);
      expect(r.exitCode).toBe(code);
    });
  }
});

describe.skipIf(skipReason(cannotBuild, cannotBuildReason))("kiln build with a closed stdout", () => {
  let store: BuildStore;
  beforeAll(async () => {
    store = await openBuildStore("closed-stdout");
  }, 60_000);
  afterAll(() => store?.[Symbol.dispose]());

  // RUN output is captured, not handed to the container on a dead fd 1 (its echo would fail the step).
  const rows: [string, string, number, RegExp | ""][] = [
    ["a build whose RUNs print still succeeds, silently", "FROM alpine:3.20\nRUN echo one && echo two\nRUN seq 1 20000\n", 0, ""],
    ["a failing build keeps its error and status", "FROM alpine:3.20\nRUN echo out; exit 3\n", 1, /^Dockerfile:2: RUN echo out; exit 3: exit code 3$/m],
  ];
  for (const [i, [name, dockerfile, code, stderr]] of rows.entries()) {
    test(name, async () => {
      using c = tempDir("closed-stdout-build", { Dockerfile: dockerfile } satisfies Tree);
      const r = await runClosedStdout(["build", "--no-cache", "-t", `closed:${i}`, c.path], store.root);
      if (stderr === "") expect(r.stderr).toBe("");
      else expect(r.stderr).toMatch(stderr);
      expect(r.exitCode).toBe(code);
      if (code === 0) expect(await Bun.file(join(store.root, "index.json")).text()).toContain(`closed:${i}`);
    }, 60_000);
  }
});
