import { describe, expect, test } from "bun:test";
import { renameSync, writeFileSync } from "node:fs";
import { RefCache } from "../../../src/build/ref-cache.ts";
import { tempDir } from "../../harness.ts";

const IMG = { id: "sha256:aa" as `sha256:${string}`, config: { architecture: "amd64", os: "linux", rootfs: { type: "layers" as const, diff_ids: [] } } };

describe("the ref cache of a store's index", () => {
  test("an answer is kept across processes while index.json is unchanged", () => {
    using d = tempDir("refcache", { "index.json": "{}" });
    new RefCache(d.join("build/refs.json"), d.join("index.json")).put("alpine", IMG);
    expect(new RefCache(d.join("build/refs.json"), d.join("index.json")).get("alpine")?.id).toBe("sha256:aa");
  });
  test("any rewrite of index.json (a tag moved) forgets every answer", () => {
    using d = tempDir("refcache", { "index.json": "{}" });
    new RefCache(d.join("build/refs.json"), d.join("index.json")).put("alpine", IMG);
    writeFileSync(d.join("index.new"), "{}");
    renameSync(d.join("index.new"), d.join("index.json"));
    expect(new RefCache(d.join("build/refs.json"), d.join("index.json")).get("alpine")).toBeUndefined();
  });
  test("a corrupt cache file is ignored", () => {
    using d = tempDir("refcache", { "index.json": "{}", "build/refs.json": "{not json" });
    expect(new RefCache(d.join("build/refs.json"), d.join("index.json")).get("alpine")).toBeUndefined();
  });
});
