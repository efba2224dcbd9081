// `kiln import` of a .tar.zst that the zstd tool made and that was then cut
// off: an error that says the data is truncated, never a shorter layer. The
// cut inside the content checksum is the one nothing else would notice: the
// tar inside is whole.
import { afterAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { hasCommand, runKiln, skipReason, tempDir } from "../harness.ts";

const skip = skipReason(!hasCommand("zstd") || !hasCommand("tar"), "needs the zstd and tar tools");

describe.skipIf(skip)("kiln import of a cut-off .tar.zst", () => {
  const dir = tempDir("import-zst", { "root/etc/hello": "hello\n", "root/data": "x".repeat(300_000) });
  afterAll(() => dir[Symbol.dispose]());
  const made = Bun.spawnSync(["sh", "-c", `tar -C ${dir.join("root")} -cf - . | zstd -q -19 -o ${dir.join("whole.tar.zst")}`]);
  const whole = made.exitCode === 0 ? new Uint8Array(readFileSync(dir.join("whole.tar.zst"))) : new Uint8Array();

  test("the whole file imports", async () => {
    const r = await runKiln(["import", dir.join("whole.tar.zst"), "whole:1"], { root: dir.join("store") });
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
  });

  const cuts: [string, number][] = [
    ["inside the content checksum (the tar is whole)", -2],
    ["right before the content checksum", -4],
    ["in the middle", whole.length >> 1],
  ];
  for (const [name, at] of cuts) {
    test(`cut ${name}: an error, no image`, async () => {
      const path = dir.join(`cut${at}.tar.zst`);
      writeFileSync(path, whole.subarray(0, at < 0 ? whole.length + at : at));
      const r = await runKiln(["import", path, `cut:${at < 0 ? -at : at}`], { root: dir.join("store") });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/^Error: .*the zstd-compressed data is truncated: it ends inside a frame$/m);
      expect(r.stderr).toContain("hint: The file or blob is damaged or incomplete");
      expect((await runKiln(["images", "-q", `cut`], { root: dir.join("store") })).stdout).toBe("");
    });
  }
});
