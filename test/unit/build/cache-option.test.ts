import { describe, expect, test } from "bun:test";
import { parseCacheOption } from "../../../src/build/cache-option.ts";

describe("--cache-from / --cache-to values", () => {
  const ok: [string, string, "cache-from" | "cache-to", { ref: string; ignoreError: boolean }][] = [
    ["kiln's registry: prefix", "registry:localhost:5000/app/cache:main", "cache-from", { ref: "localhost:5000/app/cache:main", ignoreError: false }],
    ["BuildKit's type=registry,ref=", "type=registry,ref=localhost:5000/app/cache:main", "cache-from", { ref: "localhost:5000/app/cache:main", ignoreError: false }],
    ["ref= without type", "ref=localhost:5000/c:x", "cache-from", { ref: "localhost:5000/c:x", ignoreError: false }],
    ["a bare reference, as docker build takes it", "localhost:5000/app/cache:main", "cache-from", { ref: "localhost:5000/app/cache:main", ignoreError: false }],
    ["a host named registry with a port is a bare reference", "registry:5000/app/cache:x", "cache-from", { ref: "registry:5000/app/cache:x", ignoreError: false }],
    ["mode=max and ignore-error=true on --cache-to", "type=registry,ref=localhost:5000/c:x,mode=max,ignore-error=true", "cache-to", { ref: "localhost:5000/c:x", ignoreError: true }],
  ];
  test.each(ok)("%s", (_name, value, flag, want) => {
    expect(parseCacheOption(value, flag)).toEqual(want);
  });

  const bad: [string, string, "cache-from" | "cache-to", string][] = [
    ["another cache type", "type=local,dest=/tmp/c", "cache-to", "type=local is not supported"],
    ["mode=min", "type=registry,ref=r/c:x,mode=min", "cache-to", "mode=min is not supported"],
    ["ignore-error on --cache-from", "type=registry,ref=r/c:x,ignore-error=true", "cache-from", 'option "ignore-error" is not supported'],
    ["an unknown option", "type=registry,ref=r/c:x,compression=zstd", "cache-to", 'option "compression" is not supported'],
    ["no reference", "type=registry", "cache-from", "names no reference"],
    ["a part that is not KEY=VALUE", "type=registry,ref=r/c:x,oops", "cache-to", '"oops" is not KEY=VALUE'],
    ["a digest for --cache-to", `registry:r/c@sha256:${"a".repeat(64)}`, "cache-to", "under a tag, not a digest"],
    ["an invalid reference", "registry:UPPER/Case", "cache-from", "invalid --cache-from reference"],
  ];
  test.each(bad)("%s is a usage error", (_name, value, flag, message) => {
    expect(() => parseCacheOption(value, flag)).toThrow(message);
  });
});
