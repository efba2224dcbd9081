import { describe, expect, test } from "bun:test";
import { runKiln } from "../harness.ts";

describe("the kiln binary", () => {
  test("--version prints the version", async () => {
    const r = await runKiln(["--version"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^kiln version \d+\.\d+\.\d+/);
  });

  test("--help lists the commands on stdout", async () => {
    const r = await runKiln(["--help"]);
    expect(r.exitCode).toBe(0);
    for (const c of ["build", "run", "images", "pull", "push"]) expect(r.stdout).toContain(`  ${c}`);
  });

  const usage: [string, string[], RegExp][] = [
    ["unknown command, with a suggestion", ["buidl"], /'buidl' is not a kiln command\nhint: did you mean 'kiln build'\?/],
    ["unknown global flag", ["--frobnicate"], /unknown flag: --frobnicate/],
    ["unknown command flag", ["images", "--frobnicate"], /unknown flag: --frobnicate/],
  ];
  for (const [name, args, re] of usage) {
    test(`${name}: one-line error, exit 2, no stack`, async () => {
      const r = await runKiln(args);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(r.stdout).toBe("");
    });
  }
});
