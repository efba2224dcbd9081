// `kiln check` end to end, run from source (no compiled binary needed): what
// it prints, on which stream, and its exit status.
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { cleanEnv, REPO, SHARED, skipReason, tempDir } from "../../harness.ts";

async function kilnCheck(args: string[], opts: { cwd?: string; stdin?: string } = {}): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  const proc = Bun.spawn([process.execPath, join(REPO, "src/main.ts"), "check", ...args], {
    cwd: opts.cwd ?? REPO,
    env: cleanEnv(),
    stdin: opts.stdin === undefined ? "ignore" : new Blob([opts.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { exitCode, stdout, stderr };
}

const GOOD = 'FROM alpine:3.20 AS build\nRUN echo hi > /x\nFROM scratch\nCOPY --from=build /x /x\nCMD ["/x"]\n';
const BAD = "FROM alpine AS Build\nRUNN make\nCOPY --chmown=1 a b\nCMD echo hi\nCOPY --from=9 / /\n";

describe("kiln check", () => {
  test("a valid Dockerfile in the current directory: silent, exit 0", async () => {
    using dir = tempDir("check", { Dockerfile: GOOD });
    const r = await kilnCheck([], { cwd: dir.path });
    expect(r).toEqual({ exitCode: 0, stdout: "", stderr: "" });
  });

  test("every problem, one Dockerfile:LINE line each, in line order, exit 1", async () => {
    using dir = tempDir("check", { "ci/Dockerfile.ci": BAD });
    const r = await kilnCheck(["-f", "ci/Dockerfile.ci"], { cwd: dir.path });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toEqual([
      "ci/Dockerfile.ci:1: StageNameCasing: Stage name 'Build' should be lowercase",
      "ci/Dockerfile.ci:2: unknown instruction: RUNN (did you mean RUN?)",
      "ci/Dockerfile.ci:3: COPY: unknown flag: --chmown (did you mean --chown?)",
      "ci/Dockerfile.ci:4: JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals",
      "ci/Dockerfile.ci:5: COPY --from=9: there is no build stage 9 (stages are numbered 0 to 0)",
    ]);
  });

  test("PATH/Dockerfile by default, and -f - reads stdin", async () => {
    using dir = tempDir("check", { "ctx/Dockerfile": "FROM a\nMAINTAINER me\n" });
    const fromPath = await kilnCheck(["ctx"], { cwd: dir.path });
    expect(fromPath.stderr).toBe("ctx/Dockerfile:2: MaintainerDeprecated: Maintainer instruction is deprecated in favor of using label\n");
    const fromStdin = await kilnCheck(["-f", "-"], { stdin: "FROM a\nENV X\n" });
    expect(fromStdin.exitCode).toBe(1);
    expect(fromStdin.stderr).toBe("Dockerfile:2: ENV must have two arguments\n");
  });

  test("--target and --build-arg take part in the stage graph", async () => {
    const r = await kilnCheck(["-f", "-", "--target", "buidl"], { stdin: "FROM a AS build\nFROM b\n" });
    expect(r.stderr).toBe('Dockerfile: target stage "buidl" could not be found (did you mean build?)\n');
    const ok = await kilnCheck(["-f", "-", "--build-arg", "IMG=alpine"], { stdin: "ARG IMG\nFROM $IMG\n" });
    expect(ok).toEqual({ exitCode: 0, stdout: "", stderr: "" });
  });

  test("a missing Dockerfile is a one-line error with a hint", async () => {
    using dir = tempDir("check");
    const r = await kilnCheck([], { cwd: dir.path });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^Error: cannot read the Dockerfile "Dockerfile": ENOENT\nhint: /);
  });

  const golden = SHARED ? join(SHARED, "conformance/buildkit-parser/testfiles/lk4d4-the-edge-case-generator") : "";
  test.skipIf(skipReason(!golden || !existsSync(golden), "shared/conformance/buildkit-parser is absent"))(
    "--print-ast prints BuildKit's dump on stdout",
    async () => {
      const r = await kilnCheck(["--print-ast", "-f", join(golden, "Dockerfile")]);
      expect(r.stdout).toBe(readFileSync(join(golden, "result"), "utf8"));
    },
  );
});
