// Authentication and TLS against the real registry: htpasswd Basic over TLS
// (CA and cert made by the test), Bearer tokens from the test's token server
// (including a first token that is already expired), login/logout files.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Digest } from "../../src/image/index.ts";
import { login, logout, pullImage, pushImage, type TransferEvent } from "../../src/registry/index.ts";
import { skipReason, tempDir } from "../harness.ts";
import { DirImageStore, tarGzLayer } from "../lib/registry-image-dir.ts";
import { registryUnavailable, startRegistry, type RegistryServer } from "../lib/registry-server.ts";

const skip = skipReason(registryUnavailable() !== undefined, registryUnavailable() ?? "");
const PASSWORD = "s3cret-Passw0rd";

async function smallImage(store: DirImageStore, text: string): Promise<Digest> {
  return store.makeImage([await tarGzLayer({ "a.txt": `${text}\n` }), await tarGzLayer({ "b.txt": `${text} b\n` })]);
}

describe.skipIf(skip)("htpasswd Basic over TLS", () => {
  let reg: RegistryServer;
  const dirs = tempDir("reg-basic");
  let src: DirImageStore;
  let image: Digest;
  const authFile = dirs.join("auth/config.json");
  beforeAll(async () => {
    reg = await startRegistry({ auth: "htpasswd" });
    src = new DirImageStore(dirs.join("src"));
    image = await smallImage(src, "basic");
  });
  afterAll(async () => {
    await reg?.stop();
    dirs[Symbol.dispose]();
  });

  test("without the CA: certificate error with a --cert-dir hint", async () => {
    const err = await pushImage(src.source(image), `${reg.host}/t/basic:1`, { authFile }).catch((e) => e);
    expect(err.code).toBe("E_REGISTRY");
    expect(err.message).toContain("certificate");
    expect(err.hint).toContain("--cert-dir");
  });

  test("a wrong password: login refuses and saves nothing", async () => {
    const err = await login(reg.host, { username: "kiln", password: "wrong-Passw0rd" }, { certDir: reg.certDir, authFile }).catch((e) => e);
    expect(err.code).toBe("E_REGISTRY_AUTH");
    expect(err.message).toContain("incorrect username or password");
    expect(`${err.message} ${err.hint}`).not.toContain("wrong-Passw0rd");
    expect(() => statSync(authFile)).toThrow();
  });

  test("no credentials: push fails with a kiln login hint", async () => {
    const err = await pushImage(src.source(image), `${reg.host}/t/basic:1`, { certDir: reg.certDir, authFile }).catch((e) => e);
    expect(err.code).toBe("E_REGISTRY_AUTH");
    expect(err.hint).toBe(`run kiln login ${reg.host}`);
  });

  test("login saves the credentials (0600), push and pull use them, logout removes them", async () => {
    await login(reg.host, { username: "kiln", password: PASSWORD }, { certDir: reg.certDir, authFile });
    expect(statSync(authFile).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(authFile, "utf8")).auths[reg.host].auth).toBe(Buffer.from(`kiln:${PASSWORD}`).toString("base64"));
    const pushed = await pushImage(src.source(image), `${reg.host}/t/basic:1`, { certDir: reg.certDir, authFile });
    expect(pushed.digest).toBe(image);
    const dst = new DirImageStore(dirs.join("dst"));
    expect((await pullImage(`${reg.host}/t/basic:1`, dst, { certDir: reg.certDir, authFile })).manifestDigest).toBe(image);
    expect(await logout(reg.host, { authFile })).toBe(true);
    expect(JSON.parse(readFileSync(authFile, "utf8")).auths[reg.host]).toBeUndefined();
  });

  test("the CA from certs.d/HOST:PORT/ca.crt is trusted", async () => {
    const certsD = dirs.join("certs.d");
    mkdirSync(join(certsD, reg.host), { recursive: true });
    writeFileSync(join(certsD, reg.host, "ca.crt"), readFileSync(join(reg.certDir!, "ca.crt")));
    const dst = new DirImageStore(dirs.join("dst-certsd"));
    const pulled = await pullImage(`${reg.host}/t/basic:1`, dst, { certsD, credentials: { username: "kiln", password: PASSWORD } });
    expect(pulled.manifestDigest).toBe(image);
  });

  test("--tls-verify=false accepts the unknown CA", async () => {
    const dst = new DirImageStore(dirs.join("dst-noverify"));
    const pulled = await pullImage(`${reg.host}/t/basic:1`, dst, { tlsVerify: false, credentials: { username: "kiln", password: PASSWORD } });
    expect(pulled.manifestDigest).toBe(image);
  });
});

describe.skipIf(skip)("Bearer tokens from the test's token server", () => {
  let reg: RegistryServer;
  const dirs = tempDir("reg-token");
  let src: DirImageStore;
  let image: Digest;
  const credentials = { username: "kiln", password: PASSWORD };
  beforeAll(async () => {
    reg = await startRegistry({ auth: "token" });
    src = new DirImageStore(dirs.join("src"));
    image = await smallImage(src, "token");
  });
  afterAll(async () => {
    await reg?.stop();
    dirs[Symbol.dispose]();
  });

  test("push and pull with tokens scoped to the repository, reused across requests", async () => {
    reg.token!.requests.length = 0;
    const pushed = await pushImage(src.source(image), `${reg.host}/team/app:1`, { credentials });
    expect(pushed.digest).toBe(image);
    expect(new Set(reg.token!.requests)).toEqual(new Set(["repository:team/app:pull,push"]));
    reg.token!.requests.length = 0;
    const dst = new DirImageStore(dirs.join("dst"));
    expect((await pullImage(`${reg.host}/team/app:1`, dst, { credentials })).manifestDigest).toBe(image);
    expect(reg.token!.requests).toEqual(["repository:team/app:pull"]);
  });

  test("a mount asks for pull on the source repository in the same token", async () => {
    reg.token!.requests.length = 0;
    const events: TransferEvent[] = [];
    await pushImage(src.source(image), `${reg.host}/team/copy:1`, { credentials, progress: (e) => events.push(e) });
    expect(reg.token!.requests).toContain("repository:team/copy:pull,push repository:team/app:pull");
    expect(events.filter((e) => e.kind === "done").every((e) => (e as { status: string }).status === "Mounted from team/app")).toBe(true);
  });

  test("a wrong password: E_REGISTRY_AUTH, incorrect username or password, no secret shown", async () => {
    const err = await pullImage(`${reg.host}/team/app:1`, new DirImageStore(dirs.join("bad")), { credentials: { username: "kiln", password: "Not-The-Password" } }).catch((e) => e);
    expect(err.code).toBe("E_REGISTRY_AUTH");
    expect(err.message).toContain("incorrect username or password");
    expect(err.hint).toBe(`run kiln login ${reg.host}`);
    expect(`${err.message} ${err.hint}`).not.toContain("Not-The-Password");
  });

  test("login verifies against the token server", async () => {
    const authFile = dirs.join("auth.json");
    await expect(login(reg.host, { username: "kiln", password: "nope-nope" }, { authFile })).rejects.toMatchObject({ code: "E_REGISTRY_AUTH" });
    await login(reg.host, credentials, { authFile });
    const dst = new DirImageStore(dirs.join("dst-login"));
    expect((await pullImage(`${reg.host}/team/app:1`, dst, { authFile })).manifestDigest).toBe(image);
  });
});

describe.skipIf(skip)("an expired token", () => {
  test("the registry refuses the first (expired) token; kiln fetches a new one and succeeds", async () => {
    await using reg = await startRegistry({ auth: "token", firstTokenExpired: true });
    using dirs = tempDir("reg-expired");
    const src = new DirImageStore(dirs.join("src"));
    const image = await smallImage(src, "expired");
    const credentials = { username: "kiln", password: PASSWORD };
    expect((await pushImage(src.source(image), `${reg.host}/exp/app:1`, { credentials })).digest).toBe(image);
    const dst = new DirImageStore(dirs.join("dst"));
    expect((await pullImage(`${reg.host}/exp/app:1`, dst, { credentials })).manifestDigest).toBe(image);
    const pushTokens = reg.token!.requests.filter((r) => r === "repository:exp/app:pull,push").length;
    const pullTokens = reg.token!.requests.filter((r) => r === "repository:exp/app:pull").length;
    expect([pushTokens, pullTokens]).toEqual([2, 2]);
  });
});
