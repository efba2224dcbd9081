import { describe, expect, test } from "bun:test";
import { parseChallenges, pickChallenge } from "../../../src/registry/challenge.ts";

const rows: { name: string; header: string; want: { scheme: string; params: Record<string, string> }[] }[] = [
  {
    name: "Bearer with realm, service and a scope holding a comma",
    header: 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull,push"',
    want: [{ scheme: "bearer", params: { realm: "https://auth.docker.io/token", service: "registry.docker.io", scope: "repository:library/alpine:pull,push" } }],
  },
  { name: "Basic with a realm", header: 'Basic realm="basic-realm"', want: [{ scheme: "basic", params: { realm: "basic-realm" } }] },
  {
    name: "two challenges in one header",
    header: 'Basic realm="a", Bearer realm="https://t/x", service="s"',
    want: [
      { scheme: "basic", params: { realm: "a" } },
      { scheme: "bearer", params: { realm: "https://t/x", service: "s" } },
    ],
  },
  {
    name: "insufficient_scope error with escaped quote",
    header: 'Bearer realm="r",error="insufficient_scope",error_description="say \\"hi\\""',
    want: [{ scheme: "bearer", params: { realm: "r", error: "insufficient_scope", error_description: 'say "hi"' } }],
  },
  { name: "unquoted values and odd spacing", header: "Bearer  realm=http://x/t ,service=reg", want: [{ scheme: "bearer", params: { realm: "http://x/t", service: "reg" } }] },
  { name: "empty header", header: "", want: [] },
];

describe("parseChallenges", () => {
  for (const r of rows) test(r.name, () => expect(parseChallenges(r.header)).toEqual(r.want));
});

describe("pickChallenge", () => {
  test("prefers Bearer over Basic", () => expect(pickChallenge(parseChallenges('Basic realm="a", Bearer realm="b"'))?.scheme).toBe("bearer"));
  test("ignores schemes kiln cannot answer", () => expect(pickChallenge(parseChallenges('Negotiate abc'))).toBeUndefined());
});
