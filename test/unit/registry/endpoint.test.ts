import { describe, expect, test } from "bun:test";
import { apiHostOf, isLoopback, tlsSettingsFor } from "../../../src/registry/endpoint.ts";
import { tempDir } from "../../harness.ts";

const loopback: [string, boolean][] = [
  ["localhost", true],
  ["localhost:5000", true],
  ["127.0.0.1:5000", true],
  ["127.12.0.9", true],
  ["[::1]:5000", true],
  ["10.0.0.1:5000", false],
  ["registry.example.com", false],
  ["127.0.0.1.example.com", false],
];

describe("isLoopback", () => {
  for (const [host, want] of loopback) test(`${host} → ${want}`, () => expect(isLoopback(host)).toBe(want));
});

describe("apiHostOf", () => {
  test("docker.io is served by registry-1.docker.io", () => expect(apiHostOf("docker.io")).toBe("registry-1.docker.io"));
  test("other hosts are themselves", () => expect(apiHostOf("localhost:5000")).toBe("localhost:5000"));
});

describe("tlsSettingsFor", () => {
  test("certs.d/HOST/ca.crt is added to the system CAs", () => {
    using d = tempDir("certsd", { "reg.example:5000/ca.crt": "-----BEGIN CERTIFICATE-----\nX\n-----END CERTIFICATE-----\n" });
    const s = tlsSettingsFor("reg.example:5000", { certsD: d.path });
    expect(s.rejectUnauthorized).toBe(true);
    expect(s.ca?.at(-1)).toContain("BEGIN CERTIFICATE");
    expect(s.ca!.length).toBeGreaterThanOrEqual(1);
  });
  test("client.cert and client.key are used as a client certificate", () => {
    using d = tempDir("certdir", { "client.cert": "CERT", "client.key": "KEY" });
    const s = tlsSettingsFor("x", { certDir: d.path });
    expect([s.cert, s.key]).toEqual(["CERT", "KEY"]);
  });
  test("--tls-verify=false turns verification off", () => expect(tlsSettingsFor("x", { tlsVerify: false }).rejectUnauthorized).toBe(false));
  test("no cert dir: system defaults", () => expect(tlsSettingsFor("nowhere.example", { certsD: "/nonexistent" })).toEqual({ rejectUnauthorized: true }));
});
