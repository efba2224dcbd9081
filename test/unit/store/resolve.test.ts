import { describe, expect, test } from "bun:test";
import type { Digest } from "../../../src/image/index.ts";
import { resolveImageName, type NameCandidate, type Resolution } from "../../../src/store/resolve.ts";

const d = (c: string): Digest => `sha256:${c.repeat(64).slice(0, 64)}`;
const ALPINE = d("ab12");
const APP = d("ab34");
const BASE = d("cd");
const MANIFEST = d("ef");

const candidates: NameCandidate[] = [
  { id: ALPINE, manifestDigests: [MANIFEST], refs: ["docker.io/library/alpine:latest", "docker.io/library/alpine:3.20"] },
  { id: APP, manifestDigests: [d("99")], refs: ["localhost:5000/team/app:1"] },
  { id: BASE, manifestDigests: [d("98")], refs: ["docker.io/library/cdcd:latest"] },
];

describe("resolveImageName finds images the way Docker does", () => {
  const rows: [string, string, { kind: Resolution["kind"]; id?: Digest; ref?: string }][] = [
    ["short name", "alpine", { kind: "found", id: ALPINE, ref: "docker.io/library/alpine:latest" }],
    ["name and tag", "alpine:3.20", { kind: "found", id: ALPINE, ref: "docker.io/library/alpine:3.20" }],
    ["full canonical reference", "docker.io/library/alpine:3.20", { kind: "found", id: ALPINE, ref: "docker.io/library/alpine:3.20" }],
    ["registry reference", "localhost:5000/team/app:1", { kind: "found", id: APP, ref: "localhost:5000/team/app:1" }],
    ["full id with sha256:", ALPINE, { kind: "found", id: ALPINE }],
    ["full id without sha256:", ALPINE.slice(7), { kind: "found", id: ALPINE }],
    ["manifest digest", MANIFEST, { kind: "found", id: ALPINE }],
    ["name@manifest digest", `alpine@${MANIFEST}`, { kind: "found", id: ALPINE }],
    ["unique 12-hex prefix", APP.slice(7, 19), { kind: "found", id: APP }],
    ["unique prefix with sha256:", `sha256:${APP.slice(7, 12)}`, { kind: "found", id: APP }],
    ["one-character unique prefix", "c", { kind: "found", id: BASE }],
    ["a tag wins over an id prefix", "cdcd", { kind: "found", id: BASE, ref: "docker.io/library/cdcd:latest" }],
    ["shared prefix is ambiguous", "ab", { kind: "ambiguous" }],
    ["unknown tag", "alpine:edge", { kind: "none" }],
    ["unknown name", "busybox", { kind: "none" }],
    ["unknown full id", d("00"), { kind: "none" }],
    ["hex prefix that fits nothing", "0123", { kind: "none" }],
    ["not a reference at all", "Not/Valid", { kind: "none" }],
  ];
  for (const [name, input, want] of rows) {
    test(name, () => {
      const got = resolveImageName(input, candidates);
      expect(got.kind).toBe(want.kind);
      if (want.id) expect(got.kind === "found" ? got.id : undefined).toBe(want.id);
      if (got.kind === "found") expect(got.ref).toBe(want.ref);
      if (got.kind === "ambiguous") expect(got.ids.sort()).toEqual([ALPINE, APP].sort());
    });
  }
});
