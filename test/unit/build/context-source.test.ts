// prepareContext marks the contexts kiln unpacks into a temp dir (a tar file,
// a tar on stdin) as ephemeral, so that their file hashes are not persisted
// for a next build that will never see that dir; a directory context is not.
import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { prepareContext } from "../../../src/build/context-source.ts";
import { tempDir } from "../../harness.ts";

describe("prepareContext: which contexts are temporary", () => {
  const ctx = tempDir("prep-ctx", { Dockerfile: "FROM scratch\nCOPY f /\n", f: "x" });
  const tmp = tempDir("prep-tmp");
  afterAll(() => {
    ctx[Symbol.dispose]();
    tmp[Symbol.dispose]();
  });
  const tar = join(tmp.path, "ctx.tar");
  Bun.spawnSync(["tar", "-cf", tar, "-C", ctx.path, "."]);
  const input = (context: string, stdin?: string) => ({
    context,
    cwd: tmp.path,
    readStdin: async () => new Uint8Array(readFileSync(stdin ?? tar)),
    tempDir: async () => mkdtempSync(join(tmp.path, "t-")),
  });
  const rows: [string, ReturnType<typeof input>, boolean][] = [
    ["a directory", input(ctx.path), false],
    ["a relative directory", input(`../${ctx.path.split("/").at(-1)}`), false],
    ["a tar file", input(tar), true],
    ["a tar on stdin", input("-"), true],
  ];
  for (const [name, given, ephemeral] of rows) {
    test(name, async () => {
      const p = await prepareContext(given);
      expect({ ephemeral: p.ephemeral, hasDockerfile: p.dockerfile.text.startsWith("FROM scratch") }).toEqual({ ephemeral, hasDockerfile: true });
    });
  }
});
