import { afterAll, describe, expect, test } from "bun:test";
import { KilnError } from "../../../src/errors.ts";
import { RegistryTransport } from "../../../src/registry/transport.ts";

// Bun.serve on port 0 playing the auth side of a registry: /v2/ answers
// anonymously, with Basic, or with Bearer tokens from its own /token realm.
type Mode = "anon" | "basic" | "bearer";
const USER = "alice";
const PASS = "correct-horse-battery";
const state = { tokenRequests: [] as string[], issued: new Map<string, string>(), revoked: new Set<string>(), failures: 0, expiresIn: 300 };
let seq = 0;

function check(req: Request, mode: Mode, scope: string): Response | undefined {
  const auth = req.headers.get("authorization") ?? "";
  const base = new URL(req.url).origin;
  if (mode === "basic" && auth !== `Basic ${btoa(`${USER}:${PASS}`)}`) {
    return new Response(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }), { status: 401, headers: { "www-authenticate": 'Basic realm="test"' } });
  }
  if (mode === "bearer") {
    const token = auth.replace(/^Bearer /, "");
    const granted = state.issued.get(token);
    if (!granted || state.revoked.has(token) || (scope && !granted.split(" ").includes(scope))) {
      return new Response(JSON.stringify({ errors: [{ code: "UNAUTHORIZED", message: "authentication required" }] }), {
        status: 401,
        headers: { "www-authenticate": `Bearer realm="${base}/bearer/token",service="test-svc"${scope ? `,scope="${scope}"` : ""}` },
      });
    }
  }
  return undefined;
}

const server = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  fetch(req) {
    const url = new URL(req.url);
    const [, mode, ...rest] = url.pathname.split("/") as [string, Mode, ...string[]];
    const path = `/${rest.join("/")}`;
    if (path === "/token") {
      const scopes = url.searchParams.getAll("scope");
      state.tokenRequests.push(scopes.join(" "));
      if (req.headers.get("authorization") !== `Basic ${btoa(`${USER}:${PASS}`)}`) return new Response('{"details":"incorrect username or password"}', { status: 401 });
      const token = `tok-${++seq}`;
      state.issued.set(token, scopes.join(" "));
      return Response.json({ token, expires_in: state.expiresIn });
    }
    if (path === "/v2/") return check(req, mode, "") ?? new Response("{}");
    const m = /^\/v2\/(.+)\/manifests\/(.+)$/.exec(path);
    if (m) {
      const denied = check(req, mode, `repository:${m[1]}:pull`);
      if (denied) return denied;
      if (m[2] === "flaky" && state.failures-- > 0) return new Response("busy", { status: 503 });
      if (m[2] === "missing") return new Response(JSON.stringify({ errors: [{ code: "MANIFEST_UNKNOWN", message: "manifest unknown", detail: { Tag: "missing" } }] }), { status: 404 });
      return new Response("manifest");
    }
    return new Response("not found", { status: 404 });
  },
});
afterAll(() => server.stop(true));

// Each transport talks to "127.0.0.1:PORT" with the mode as a path prefix, via a realm-relative base.
function transport(mode: Mode, opts: ConstructorParameters<typeof RegistryTransport>[1] = {}) {
  const t = new RegistryTransport(`127.0.0.1:${server.port}`, { backoffMs: 1, ...opts });
  const get = (repo: string, ref: string) => t.request({ path: `/${mode}/v2/${repo}/manifests/${ref}`, scopes: [`repository:${repo}:pull`] });
  return { t, get };
}

describe("RegistryTransport auth", () => {
  test("anonymous registry: no Authorization header, 200", async () => {
    const { get } = transport("anon");
    expect((await get("a/b", "x")).status).toBe(200);
  });

  test("Basic: the 401 challenge is answered with the credentials", async () => {
    const { get } = transport("basic", { credentials: { username: USER, password: PASS } });
    expect((await get("a/b", "x")).status).toBe(200);
  });

  test("Basic with a wrong password: 401 comes back to the caller", async () => {
    const { get } = transport("basic", { credentials: { username: USER, password: "wrong-one-here" } });
    expect((await get("a/b", "x")).status).toBe(401);
  });

  test("Bearer: one token per scope, reused until it expires", async () => {
    let now = 1_000_000;
    state.tokenRequests = [];
    state.expiresIn = 60;
    const { get } = transport("bearer", { credentials: { username: USER, password: PASS }, now: () => now });
    for (let i = 0; i < 3; i++) expect((await get("team/app", "x")).status).toBe(200);
    expect(state.tokenRequests).toEqual(["repository:team/app:pull"]);
    now += 61_000;
    expect((await get("team/app", "x")).status).toBe(200);
    expect(state.tokenRequests).toEqual(["repository:team/app:pull", "repository:team/app:pull"]);
  });

  test("Bearer: a new repository needs a new scope and gets a new token", async () => {
    state.tokenRequests = [];
    const { get } = transport("bearer", { credentials: { username: USER, password: PASS } });
    expect((await get("one/a", "x")).status).toBe(200);
    expect((await get("two/b", "x")).status).toBe(200);
    expect(state.tokenRequests).toEqual(["repository:one/a:pull", "repository:two/b:pull"]);
  });

  test("Bearer: a token the registry stops accepting is replaced on the 401", async () => {
    state.tokenRequests = [];
    state.expiresIn = 3600;
    const { get } = transport("bearer", { credentials: { username: USER, password: PASS } });
    expect((await get("c/d", "x")).status).toBe(200);
    for (const tok of state.issued.keys()) state.revoked.add(tok);
    expect((await get("c/d", "x")).status).toBe(200);
    expect(state.tokenRequests.length).toBe(2);
  });

  test("Bearer with a wrong password: E_REGISTRY_AUTH with a login hint and no secret", async () => {
    const lines: string[] = [];
    const { get } = transport("bearer", { credentials: { username: USER, password: "wrong-secret-pw" }, logger: { debug: (m) => lines.push(m) } });
    const err = await get("e/f", "x").catch((e) => e);
    expect(err).toBeInstanceOf(KilnError);
    expect(err.code).toBe("E_REGISTRY_AUTH");
    expect(err.message).toContain("incorrect username or password");
    expect(err.hint).toBe(`run kiln login 127.0.0.1:${server.port}`);
    expect(`${err.message} ${err.hint} ${lines.join("\n")}`).not.toContain("wrong-secret-pw");
  });

  test("debug logs never show passwords or tokens", async () => {
    const lines: string[] = [];
    const { get } = transport("bearer", { credentials: { username: USER, password: PASS }, logger: { debug: (m) => lines.push(m) } });
    await get("g/h", "x");
    const text = lines.join("\n");
    expect(lines.length).toBeGreaterThan(2);
    expect(text).not.toContain(PASS);
    expect(text).not.toMatch(/tok-\d+/);
  });
});

describe("RegistryTransport errors and retries", () => {
  test("a 503 on GET is retried with backoff", async () => {
    state.failures = 2;
    const { get } = transport("anon");
    expect((await get("a/b", "flaky")).status).toBe(200);
  });

  test("MANIFEST_UNKNOWN becomes E_REGISTRY_NOT_FOUND with a hint", async () => {
    const { t } = transport("anon");
    const err = await t.expect({ path: `/anon/v2/a/b/manifests/missing`, scopes: [] }, [200], { what: "manifest a/b:missing" }).catch((e) => e);
    expect(err.code).toBe("E_REGISTRY_NOT_FOUND");
    expect(err.message).toContain("no such image or tag");
    expect(err.message).toContain("MANIFEST_UNKNOWN: manifest unknown");
    expect(err.hint).toContain("no such image or tag");
  });

  test("an unreachable registry is a clear error", async () => {
    const t = new RegistryTransport("127.0.0.1:1", { retries: 0 });
    const err = await t.request({ path: "/v2/", scopes: [] }).catch((e) => e);
    expect(err.code).toBe("E_REGISTRY");
    expect(err.message).toContain("cannot reach registry 127.0.0.1:1");
  });
});
