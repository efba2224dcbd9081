import { describe, expect, test } from "bun:test";
import { chainIds, familiarName, normalizeReference, parseReference } from "../../../src/image/index.ts";

const D = `sha256:${"a".repeat(64)}`;

describe("parseReference normalises like Docker", () => {
  const rows: [string, string, string][] = [
    ["alpine", "docker.io/library/alpine:latest", "alpine:latest"],
    ["alpine:3.20", "docker.io/library/alpine:3.20", "alpine:3.20"],
    ["team/app", "docker.io/team/app:latest", "team/app:latest"],
    ["docker.io/library/redis:7", "docker.io/library/redis:7", "redis:7"],
    ["index.docker.io/library/redis", "docker.io/library/redis:latest", "redis:latest"],
    ["localhost/app", "localhost/app:latest", "localhost/app:latest"],
    ["localhost:5000/a/b", "localhost:5000/a/b:latest", "localhost:5000/a/b:latest"],
    [`localhost:5000/a/b@${D}`, `localhost:5000/a/b@${D}`, `localhost:5000/a/b@${D}`],
    [`alpine:3@${D}`, `docker.io/library/alpine:3@${D}`, `alpine:3@${D}`],
    ["quay.io/libpod/centos:7", "quay.io/libpod/centos:7", "quay.io/libpod/centos:7"],
    ["mirror.gcr.io/busybox", "mirror.gcr.io/busybox:latest", "mirror.gcr.io/busybox:latest"],
    ["127.0.0.1:5000/x_y/z-w.v:tag_1.2-3", "127.0.0.1:5000/x_y/z-w.v:tag_1.2-3", "127.0.0.1:5000/x_y/z-w.v:tag_1.2-3"],
  ];
  for (const [input, canonical, familiar] of rows) {
    test(input, () => {
      expect(normalizeReference(input)).toBe(canonical);
      expect(familiarName(parseReference(input))).toBe(familiar);
    });
  }

  const bad = ["", "Alpine", "alpine:", "alpine@sha256:abc", "a//b", "-a", "alpine:-x", "UPPER"];
  for (const input of bad) {
    test(`rejects ${JSON.stringify(input)}`, () => {
      expect(() => parseReference(input)).toThrow(/invalid reference/);
    });
  }
});

test("chain ids follow the OCI spec", () => {
  const a = `sha256:${"1".repeat(64)}` as const;
  const b = `sha256:${"2".repeat(64)}` as const;
  const ids = chainIds([a, b]);
  expect(ids[0]).toBe(a);
  expect(ids[1]).toBe(`sha256:${new Bun.CryptoHasher("sha256").update(`${a} ${b}`).digest("hex")}`);
});
