import { describe, expect, test } from "bun:test";
import { addSecret, redact } from "../../../src/registry/redact.ts";

const rows: { name: string; input: string; mustNotContain: string }[] = [
  { name: "Basic authorization value", input: "authorization: Basic dXNlcjpodW50ZXIy", mustNotContain: "dXNlcjpodW50ZXIy" },
  { name: "Bearer token", input: "Authorization: Bearer eyJhbGciOi.payload.sig", mustNotContain: "eyJhbGciOi" },
  { name: "token in JSON", input: '{"token":"s3cr3t-token","expires_in":60}', mustNotContain: "s3cr3t-token" },
  { name: "access_token in a query", input: "https://x/y?access_token=abcdef&x=1", mustNotContain: "abcdef" },
  { name: "password in a URL", input: "https://user:hunter2@example.com/v2/", mustNotContain: "hunter2" },
  { name: "a registered secret anywhere", input: "error: wrong password pa55w0rd-xyz given", mustNotContain: "pa55w0rd-xyz" },
];

describe("redact", () => {
  addSecret("pa55w0rd-xyz");
  for (const r of rows) {
    test(r.name, () => {
      const out = redact(r.input);
      expect(out).not.toContain(r.mustNotContain);
      expect(out).toContain("[redacted]");
    });
  }
  test("leaves ordinary text alone", () => expect(redact("GET /v2/library/alpine/manifests/latest → 200")).toBe("GET /v2/library/alpine/manifests/latest → 200"));
});
