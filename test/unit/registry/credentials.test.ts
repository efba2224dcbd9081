import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { authKeyOf, eraseCredentials, findCredentials, storeCredentials } from "../../../src/registry/credentials.ts";
import { tempDir } from "../../harness.ts";

const b64 = (s: string) => Buffer.from(s).toString("base64");

describe("findCredentials from config.json", () => {
  const d = tempDir("auth", {
    "config.json": JSON.stringify({
      auths: {
        "https://index.docker.io/v1/": { auth: b64("hubuser:hubpass") },
        "localhost:5000": { auth: b64("alice:pa:ss") },
        "https://reg.example.com/v2/": { auth: b64("bob:secret") },
        "tok.example.com": { identitytoken: "refresh-123" },
      },
    }),
  });
  const file = d.join("config.json");
  afterAll(() => d[Symbol.dispose]());
  const rows: { name: string; registry: string; want: unknown }[] = [
    { name: "Docker Hub under its v1 URL", registry: "docker.io", want: { username: "hubuser", password: "hubpass" } },
    { name: "host:port key, password with a colon", registry: "localhost:5000", want: { username: "alice", password: "pa:ss" } },
    { name: "key with scheme and path", registry: "reg.example.com", want: { username: "bob", password: "secret" } },
    { name: "identity token", registry: "tok.example.com", want: { username: "<token>", password: "", identityToken: "refresh-123" } },
    { name: "unknown registry", registry: "nowhere.example", want: undefined },
  ];
  for (const r of rows) test(r.name, async () => expect(await findCredentials(r.registry, file)).toEqual(r.want as never));
});

describe("credential helpers", () => {
  // A real helper executable on PATH that keeps its secrets in a JSON file.
  const d = tempDir("helper");
  const store = d.join("helper-store.json");
  mkdirSync(d.join("bin"));
  writeFileSync(
    d.join("bin/docker-credential-kilntest"),
    `#!/bin/sh\nexec ${process.execPath} -e '
const fs = require("fs"); const f = ${JSON.stringify(store)};
const db = fs.existsSync(f) ? JSON.parse(fs.readFileSync(f, "utf8")) : {};
const input = fs.readFileSync(0, "utf8");
const action = process.argv[1];
if (action === "get") { const e = db[input.trim()]; if (!e) { console.log("credentials not found in native keychain"); process.exit(1); } console.log(JSON.stringify({ ServerURL: input.trim(), Username: e.u, Secret: e.s })); }
if (action === "store") { const j = JSON.parse(input); db[j.ServerURL] = { u: j.Username, s: j.Secret }; fs.writeFileSync(f, JSON.stringify(db)); }
if (action === "erase") { delete db[input.trim()]; fs.writeFileSync(f, JSON.stringify(db)); }
' "$1"\n`,
  );
  Bun.spawnSync(["chmod", "+x", d.join("bin/docker-credential-kilntest")]);
  const oldPath = process.env.PATH;
  process.env.PATH = `${d.join("bin")}:${oldPath}`;
  afterAll(() => {
    process.env.PATH = oldPath;
    d[Symbol.dispose]();
  });

  test("credsStore: store, get, erase go through docker-credential-NAME", async () => {
    const file = d.join("config.json");
    await Bun.write(file, JSON.stringify({ credsStore: "kilntest" }));
    await storeCredentials("localhost:5000", { username: "carol", password: "helper-secret" }, file);
    expect(readFileSync(file, "utf8")).not.toContain("helper-secret");
    expect(JSON.parse(readFileSync(store, "utf8"))["localhost:5000"]).toEqual({ u: "carol", s: "helper-secret" });
    expect(await findCredentials("localhost:5000", file)).toEqual({ username: "carol", password: "helper-secret" });
    expect(await eraseCredentials("localhost:5000", file)).toBe(true);
    expect(await findCredentials("localhost:5000", file)).toBeUndefined();
  });

  test("credHelpers picks a helper per registry", async () => {
    const file = d.join("config2.json");
    await Bun.write(store, JSON.stringify({ "reg.example.com": { u: "dave", s: "per-host" } }));
    await Bun.write(file, JSON.stringify({ credHelpers: { "reg.example.com": "kilntest" } }));
    expect(await findCredentials("reg.example.com", file)).toEqual({ username: "dave", password: "per-host" });
    expect(await findCredentials("other.example.com", file)).toBeUndefined();
  });
});

describe("storeCredentials / eraseCredentials on the file", () => {
  test("writes base64 auth, mode 0600, keeps other keys; erase removes it", async () => {
    using d = tempDir("store", { "docker/config.json": JSON.stringify({ auths: {}, experimental: "enabled" }) });
    const file = d.join("docker/config.json");
    await storeCredentials("localhost:5000", { username: "u", password: "p" }, file);
    const saved = JSON.parse(readFileSync(file, "utf8"));
    expect(saved.auths["localhost:5000"]).toEqual({ auth: b64("u:p") });
    expect(saved.experimental).toBe("enabled");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(await eraseCredentials("localhost:5000", file)).toBe(true);
    expect(await eraseCredentials("localhost:5000", file)).toBe(false);
  });
  test("Docker Hub is saved under its v1 key", () => expect(authKeyOf("docker.io")).toBe("https://index.docker.io/v1/"));
});
