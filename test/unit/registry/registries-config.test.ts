import { describe, expect, test } from "bun:test";
import { resolveEndpoints, type RegistryEntry } from "../../../src/registry/registries-config.ts";

const entries: RegistryEntry[] = [
  { prefix: "docker.io", mirrors: [{ location: "mirror.local:5000/hub", insecure: true }] },
  { prefix: "docker.io/library/special", location: "other.example.com/special" },
  { prefix: "quay.io", location: "quay-proxy.example.com", insecure: true },
];

const rows: { name: string; domain: string; path: string; purpose: "pull" | "push"; want: string[] }[] = [
  { name: "no entry: the registry itself", domain: "ghcr.io", path: "a/b", purpose: "pull", want: ["ghcr.io|a/b|secure|main"] },
  { name: "mirror first, then Docker Hub", domain: "docker.io", path: "library/alpine", purpose: "pull", want: ["mirror.local:5000|hub/library/alpine|insecure|mirror", "docker.io|library/alpine|secure|main"] },
  { name: "push ignores mirrors", domain: "docker.io", path: "library/alpine", purpose: "push", want: ["docker.io|library/alpine|secure|main"] },
  { name: "longest prefix wins", domain: "docker.io", path: "library/special", purpose: "pull", want: ["other.example.com|special|secure|main"] },
  { name: "prefix matches whole components only", domain: "docker.io", path: "library/specialist", purpose: "push", want: ["docker.io|library/specialist|secure|main"] },
  { name: "rewrite of a whole registry", domain: "quay.io", path: "org/app", purpose: "pull", want: ["quay-proxy.example.com|org/app|insecure|main"] },
];

describe("resolveEndpoints", () => {
  for (const r of rows) {
    test(r.name, () => {
      const got = resolveEndpoints(entries, r.domain, r.path, r.purpose).map((e) => `${e.registry}|${e.repository}|${e.insecure ? "insecure" : "secure"}|${e.mirror ? "mirror" : "main"}`);
      expect(got).toEqual(r.want);
    });
  }
});
