import { describe, expect, test } from "bun:test";
import { errorFromResponse, parseSpecErrors } from "../../../src/registry/response-error.ts";

const spec = (code: string, message: string, detail?: unknown) => JSON.stringify({ errors: [{ code, message, detail }] });

const rows: { name: string; status: number; body: string; what: string; code: string; message: string; hint?: string }[] = [
  { name: "401 asks for a login", status: 401, body: spec("UNAUTHORIZED", "authentication required"), what: "manifest a/b:1", code: "E_REGISTRY_AUTH", message: "UNAUTHORIZED: authentication required", hint: "run kiln login reg.example:5000" },
  { name: "403 denied", status: 403, body: spec("DENIED", "requested access to the resource is denied"), what: "upload", code: "E_REGISTRY_AUTH", message: "DENIED: requested access", hint: "may not access this repository" },
  { name: "404 manifest: no such image or tag", status: 404, body: spec("MANIFEST_UNKNOWN", "manifest unknown", { Tag: "x" }), what: "manifest a/b:x", code: "E_REGISTRY_NOT_FOUND", message: "no such image or tag (MANIFEST_UNKNOWN: manifest unknown)", hint: "no such image or tag" },
  { name: "404 on HEAD has no body", status: 404, body: "", what: "manifest a/b:x", code: "E_REGISTRY_NOT_FOUND", message: "no such image or tag (404", hint: "no such image or tag" },
  { name: "unknown repository", status: 404, body: spec("NAME_UNKNOWN", "repository name not known to registry"), what: "blob sha256:1 of a/b", code: "E_REGISTRY_NOT_FOUND", message: "NAME_UNKNOWN" },
  { name: "digest invalid on upload", status: 400, body: spec("DIGEST_INVALID", "provided digest did not match uploaded content"), what: "upload", code: "E_BLOB_DIGEST_MISMATCH", message: "DIGEST_INVALID: provided digest did not match", hint: "push again" },
  { name: "rate limit", status: 429, body: spec("TOOMANYREQUESTS", "slow down"), what: "manifest a/b:1", code: "E_REGISTRY", message: "TOOMANYREQUESTS: slow down", hint: "rate-limits" },
  { name: "HTML from a proxy is not dumped", status: 502, body: "<html><body>Bad gateway</body></html>", what: "manifest a/b:1", code: "E_REGISTRY", message: "502", hint: "try again later" },
  { name: "a token in the body is redacted", status: 400, body: '{"token":"abc.def.ghi"}', what: "token request", code: "E_REGISTRY", message: '"token":"[redacted]"' },
];

describe("errorFromResponse", () => {
  for (const r of rows) {
    test(r.name, async () => {
      const err = await errorFromResponse(new Response(r.body, { status: r.status }), { registry: "reg.example:5000", what: r.what });
      expect(err.code).toBe(r.code as never);
      expect(err.message).toStartWith(`reg.example:5000: ${r.what}: `);
      expect(err.message).toContain(r.message);
      if (r.hint) expect(err.hint).toContain(r.hint);
      expect(err.message).not.toContain("<html>");
    });
  }
});

describe("parseSpecErrors", () => {
  test("several errors", () => expect(parseSpecErrors(JSON.stringify({ errors: [{ code: "A" }, { code: "B", message: "b" }] })).map((e) => e.code)).toEqual(["A", "B"]));
  test("not JSON", () => expect(parseSpecErrors("oops")).toEqual([]));
  test("JSON without errors", () => expect(parseSpecErrors("{}")).toEqual([]));
});
