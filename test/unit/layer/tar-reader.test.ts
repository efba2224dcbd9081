import { describe, expect, test } from "bun:test";
import { readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { errnoCode, LayerError } from "../../../src/errors.ts";
import { TarReader } from "../../../src/layer/tar-reader.ts";
import { tempDir } from "../../harness.ts";
import { makeTar, streamOf } from "./_tar.ts";

const content = new Uint8Array(3000).map((_, i) => i % 251);
const tar = makeTar([{ h: { name: "f", type: "file", mode: 0o644, uid: 0, gid: 0, size: content.length, mtime: 0 }, content }]);

describe("TarReader.writeBodyToNewFile: the one way extraction writes a file's content", () => {
  const rows: { name: string; prepare?: (path: string, dir: string) => void; chunk: number; truncate?: number; want: string | RegExp }[] = [
    { name: "content arriving in small chunks is written whole, mode 0600", chunk: 100, want: "written" },
    { name: "content in one chunk", chunk: 65536, want: "written" },
    { name: "an existing file is not overwritten", prepare: (p) => writeFileSync(p, "old"), chunk: 512, want: "EEXIST" },
    { name: "a symlink at the path is not followed", prepare: (p, dir) => symlinkSync(`${dir}/elsewhere`, p), chunk: 512, want: "EEXIST" },
    { name: "a tar that ends inside the content is a truncation error", chunk: 512, truncate: 2048, want: /truncated/ },
  ];
  for (const r of rows) {
    test(r.name, async () => {
      using d = tempDir("tar-body");
      const path = d.join("out");
      r.prepare?.(path, d.path);
      const reader = new TarReader(streamOf(r.truncate ? tar.subarray(0, r.truncate) : tar, r.chunk));
      await reader.next();
      let outcome = "written";
      try {
        await reader.writeBodyToNewFile(path);
      } catch (err) {
        outcome = err instanceof LayerError ? err.message : String(errnoCode(err));
      }
      if (typeof r.want === "string") expect(outcome).toBe(r.want);
      else expect(outcome).toMatch(r.want);
      if (outcome === "written") {
        expect(new Uint8Array(readFileSync(path))).toEqual(content);
        expect(statSync(path).mode & 0o7777).toBe(0o600);
      }
      if (r.prepare && r.want === "EEXIST") expect(() => statSync(d.join("elsewhere"))).toThrow();
    });
  }
});
