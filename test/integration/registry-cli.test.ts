// kiln pull / push / login / logout (the compiled binary, a private store)
// against the real registry, and what other tools make of kiln's pushes:
// skopeo inspect sees the same digest, a private dockerd pulls and runs it.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Digest } from "../../src/image/index.ts";
import { pushImage } from "../../src/registry/index.ts";
import { hasCommand, runKiln, SHARED, skipReason, tempDir } from "../harness.ts";
import { DirImageStore, tarGzLayer } from "../lib/registry-image-dir.ts";
import { registryUnavailable, startRegistry, type RegistryServer } from "../lib/registry-server.ts";
import { dockerdUnavailable, startDockerd } from "../reference/dockerd.ts";

const ALPINE = SHARED && join(SHARED, "images/alpine-minirootfs-3.20.3-x86_64.tar.gz");
const skip = skipReason(registryUnavailable() !== undefined || !ALPINE, registryUnavailable() ?? "shared/images/alpine minirootfs is absent");
const PASSWORD = "s3cret-Passw0rd";

describe.skipIf(skip)("kiln pull/push with a plain local registry", () => {
  let reg: RegistryServer;
  const dirs = tempDir("reg-cli");
  const env = { HOME: dirs.path, REGISTRY_AUTH_FILE: dirs.join("auth.json") };
  const root = dirs.join("store");
  let image: Digest;
  beforeAll(async () => {
    reg = await startRegistry();
    const src = new DirImageStore(dirs.join("seed"));
    image = src.makeImage([new Uint8Array(readFileSync(ALPINE!)), await tarGzLayer({ "hello.txt": "hello from a kiln push\n" })], { cmd: ["cat", "/hello.txt"] });
    await pushImage(src.source(image), `${reg.host}/seed/alpine:1`);
  });
  afterAll(async () => {
    await reg?.stop();
    dirs[Symbol.dispose]();
  });

  test("kiln pull prints docker's lines and the reference", async () => {
    const r = await runKiln(["pull", `${reg.host}/seed/alpine:1`], { root, env });
    expect(r.stderr).toContain("1: Pulling from seed/alpine");
    expect(r.stderr.match(/^[0-9a-f]{12}: Pull complete$/gm)?.length).toBe(2);
    expect(r.stderr).toContain(`Digest: ${image}`);
    expect(r.stderr).toContain(`Status: Downloaded newer image for ${reg.host}/seed/alpine:1`);
    expect([r.exitCode, r.stdout]).toEqual([0, `${reg.host}/seed/alpine:1\n`]);
  });

  test("kiln pull again: up to date", async () => {
    const r = await runKiln(["pull", `${reg.host}/seed/alpine:1`], { root, env });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toContain(`Status: Image is up to date for ${reg.host}/seed/alpine:1`);
    expect(r.stderr).not.toContain("Pull complete");
  });

  test("kiln push to another repository mounts the layers and prints the digest", async () => {
    const r = await runKiln(["push", `${reg.host}/seed/alpine:1`, `${reg.host}/kiln/pushed:2`], { root, env });
    expect(r.stderr).toContain(`The push refers to repository [${reg.host}/kiln/pushed]`);
    expect(r.stderr.match(/^[0-9a-f]{12}: Mounted from seed\/alpine$/gm)?.length).toBe(2);
    expect([r.exitCode, r.stdout]).toEqual([0, `2: digest: ${image} size: ${statSync(join(root, "blobs/sha256", image.slice(7))).size}\n`]);
  });

  test("kiln pull of a tampered blob: exit 1, digest mismatch, nothing kept in the store", async () => {
    const src = new DirImageStore(dirs.join("tamper"));
    const img = src.makeImage([await tarGzLayer({ "t.txt": "will be tampered\n" })]);
    await pushImage(src.source(img), `${reg.host}/seed/tamper:1`);
    const layer = src.source(img).manifest.layers[0]!;
    const bytes = readFileSync(reg.blobDataPath(layer.digest));
    bytes[bytes.length - 3]! ^= 0x55;
    writeFileSync(reg.blobDataPath(layer.digest), bytes);
    const r = await runKiln(["pull", `${reg.host}/seed/tamper:1`], { root, env });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`layer ${layer.digest} failed verification`);
    expect(existsSync(join(root, "blobs/sha256", layer.digest.slice(7)))).toBe(false);
    expect((await runKiln(["images", "-q", `${reg.host}/seed/tamper`], { root, env })).stdout).toBe("");
  });

  test("kiln pull of a missing tag: exit 1, no such image or tag", async () => {
    const r = await runKiln(["pull", `${reg.host}/seed/alpine:missing`], { root, env });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("no such image or tag");
    expect(r.stderr).not.toContain("    at ");
  });

  test("kiln inspect --remote shows manifest and config without pulling", async () => {
    const empty = dirs.join("empty-store");
    const r = await runKiln(["inspect", "--remote", `${reg.host}/kiln/pushed:2`], { root: empty, env });
    expect(r.exitCode).toBe(0);
    const [info] = JSON.parse(r.stdout);
    expect(info.Digest).toBe(image);
    expect(info.Platform).toBe("linux/amd64");
    expect(info.Config.config.Cmd).toEqual(["cat", "/hello.txt"]);
    expect(info.Manifest.layers.length).toBe(2);
    const f = await runKiln(["inspect", "--remote", "-f", "{{.Digest}}", `${reg.host}/kiln/pushed:2`], { root: empty, env });
    expect(f.stdout).toBe(`${image}\n`);
    expect((await runKiln(["images", "-q"], { root: empty, env })).stdout).toBe("");
  });

  test.skipIf(skipReason(!hasCommand("skopeo"), "skopeo is not installed"))("skopeo inspect sees what kiln pushed", async () => {
    const p = Bun.spawnSync(["skopeo", "inspect", "--tls-verify=false", `docker://${reg.host}/kiln/pushed:2`], { stderr: "pipe" });
    expect(p.exitCode).toBe(0);
    const info = JSON.parse(p.stdout.toString());
    expect(info.Digest).toBe(image);
    expect(info.Layers.length).toBe(2);
    expect(info.Os).toBe("linux");
  });

  test.skipIf(skipReason(dockerdUnavailable() !== undefined, dockerdUnavailable() ?? ""))("a real docker pull + docker run of what kiln pushed", async () => {
    const d = await startDockerd();
    if ("skip" in d) {
      console.error(`skip: ${d.skip}`);
      return;
    }
    try {
      const name = `${reg.host}/kiln/pushed:2`;
      const pull = await d.docker(["pull", name]);
      expect(pull.exitCode).toBe(0);
      expect(pull.stdout).toContain(`Digest: ${image}`);
      const run = await d.docker(["run", "--rm", "--network", "none", name]);
      expect([run.exitCode, run.stdout]).toEqual([0, "hello from a kiln push\n"]);
      const release = await d.docker(["run", "--rm", "--network", "none", name, "cat", "/etc/alpine-release"]);
      expect(release.stdout.trim()).toBe("3.20.3");
      await d.docker(["rmi", "-f", name]);
    } finally {
      await d.stop();
    }
  }, 180_000);
});

describe.skipIf(skip)("kiln login / logout and pushes with htpasswd over TLS", () => {
  let reg: RegistryServer;
  const dirs = tempDir("reg-cli-tls");
  const authFile = dirs.join("docker/config.json");
  const env = { HOME: dirs.path, REGISTRY_AUTH_FILE: authFile };
  const root = dirs.join("store");
  beforeAll(async () => {
    reg = await startRegistry({ auth: "htpasswd" });
    const seed = await startRegistry();
    const src = new DirImageStore(dirs.join("seed"));
    const image = src.makeImage([await tarGzLayer({ "x.txt": "x\n" })]);
    await pushImage(src.source(image), `${seed.host}/s/x:1`);
    await runKiln(["pull", `${seed.host}/s/x:1`], { root, env });
    await runKiln(["tag", `${seed.host}/s/x:1`, `${reg.host}/s/x:1`], { root, env });
    await seed.stop();
  });
  afterAll(async () => {
    await reg?.stop();
    dirs[Symbol.dispose]();
  });

  test("a wrong password: exit 1, a clear message, the password nowhere", async () => {
    const r = await runKiln(["login", "-u", "kiln", "--password-stdin", "--cert-dir", reg.certDir!, reg.host], { root, env, stdin: "Wrong-Pass-123\n" });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("incorrect username or password");
    expect(r.stdout + r.stderr).not.toContain("Wrong-Pass-123");
  });

  test("kiln login --password-stdin: Login Succeeded, a 0600 auth file", async () => {
    const r = await runKiln(["login", "-u", "kiln", "--password-stdin", "--cert-dir", reg.certDir!, reg.host], { root, env, stdin: `${PASSWORD}\n` });
    expect([r.exitCode, r.stdout]).toEqual([0, "Login Succeeded\n"]);
    expect(statSync(authFile).mode & 0o777).toBe(0o600);
    expect(r.stderr).not.toContain(PASSWORD);
  });

  test("kiln push with the saved credentials and the CA from --cert-dir", async () => {
    const r = await runKiln(["--debug", "push", "--cert-dir", reg.certDir!, `${reg.host}/s/x:1`], { root, env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^1: digest: sha256:[0-9a-f]{64} size: \d+\n$/);
    // --debug logs every request, never the secret or its base64 form.
    expect(r.stderr).toContain("/blobs/uploads/");
    expect(r.stderr).not.toContain(PASSWORD);
    expect(r.stderr).not.toContain(Buffer.from(`kiln:${PASSWORD}`).toString("base64"));
  });

  test("kiln logout removes them; a push then asks for a login", async () => {
    const out = await runKiln(["logout", reg.host], { root, env });
    expect(out.stdout).toBe(`Removing login credentials for ${reg.host}\n`);
    const r = await runKiln(["push", "--cert-dir", reg.certDir!, `${reg.host}/s/x:1`], { root, env });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain(`hint: run kiln login ${reg.host}`);
    expect((await runKiln(["logout", reg.host], { root, env })).stdout).toBe(`Not logged in to ${reg.host}\n`);
  });
});

describe.skipIf(skip)("kiln login and pull with Bearer tokens", () => {
  test("login against the token realm, then pull with the saved credentials", async () => {
    await using reg = await startRegistry({ auth: "token" });
    using dirs = tempDir("reg-cli-token");
    const env = { HOME: dirs.path, REGISTRY_AUTH_FILE: dirs.join("auth.json") };
    const src = new DirImageStore(dirs.join("seed"));
    const image = src.makeImage([await tarGzLayer({ "tok.txt": "token\n" })]);
    await pushImage(src.source(image), `${reg.host}/tok/app:1`, { credentials: { username: "kiln", password: PASSWORD } });
    const denied = await runKiln(["pull", `${reg.host}/tok/app:1`], { root: dirs.join("store"), env });
    expect(denied.exitCode).toBe(1);
    expect(denied.stderr).toContain(`hint: run kiln login ${reg.host}`);
    const login = await runKiln(["login", "-u", "kiln", "--password-stdin", reg.host], { root: dirs.join("store"), env, stdin: PASSWORD });
    expect([login.exitCode, login.stdout]).toEqual([0, "Login Succeeded\n"]);
    const r = await runKiln(["pull", "-q", `${reg.host}/tok/app:1`], { root: dirs.join("store"), env });
    expect([r.exitCode, r.stdout]).toEqual([0, `${reg.host}/tok/app:1\n`]);
  });
});
