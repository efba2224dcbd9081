import { describe, expect, test } from "bun:test";
import { symlinkSync, writeFileSync } from "node:fs";
import { lstatOrUndefined } from "../../../src/util/lstat.ts";
import { tempDir } from "../../harness.ts";

describe("lstatOrUndefined", () => {
  const rows: { name: string; path: string; want: "file" | "symlink" | undefined }[] = [
    { name: "a file", path: "f", want: "file" },
    { name: "a symlink is not followed", path: "link", want: "symlink" },
    { name: "a missing path", path: "missing", want: undefined },
    { name: "a path through a file (ENOTDIR)", path: "f/x", want: undefined },
  ];
  for (const r of rows) {
    test(r.name, () => {
      using d = tempDir("lstat");
      writeFileSync(d.join("f"), "");
      symlinkSync("f", d.join("link"));
      const st = lstatOrUndefined(d.join(r.path));
      expect(st === undefined ? undefined : st.isSymbolicLink() ? "symlink" : "file").toBe(r.want);
    });
  }
});
