import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import { RegistryError } from "../errors.ts";
import { capture } from "../util/spawn.ts";
import { writeFileAtomic } from "../util/fs-atomic.ts";
import { addSecret } from "./redact.ts";

/** A user name and a secret for one registry. An identity token is an OAuth2 refresh token. */
export interface Credentials {
  username: string;
  password: string;
  identityToken?: string;
}

/** The parts of Docker's config.json kiln reads and writes (other keys are kept as they are). */
interface DockerConfig {
  auths?: Record<string, { auth?: string; identitytoken?: string; username?: string; password?: string }>;
  credsStore?: string;
  credHelpers?: Record<string, string>;
  [key: string]: unknown;
}

/** Docker Hub's credentials live under this legacy key in every Docker config. */
export const DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/";

/** Where credentials are read from and written to: $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json, ~/.docker/config.json. */
export function authFilePath(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.REGISTRY_AUTH_FILE) return process.env.REGISTRY_AUTH_FILE;
  const dir = process.env.DOCKER_CONFIG ?? join(process.env.HOME ?? homedir(), ".docker");
  return join(dir, "config.json");
}

/** The key a registry host has in config.json (Docker Hub keeps its v1 URL). */
export function authKeyOf(registry: string): string {
  return registry === "docker.io" || registry === "registry-1.docker.io" || registry === "index.docker.io" ? DOCKER_HUB_AUTH_KEY : registry;
}

/** Docker's convertToHostname: "https://host:5000/v1/" → "host:5000". */
function hostOfKey(key: string): string {
  return key.replace(/^https?:\/\//, "").split("/")[0]!;
}

function readConfig(path: string): DockerConfig {
  if (!existsSync(path)) return {};
  const text = readFileSync(path, "utf8");
  if (text.trim() === "") return {};
  try {
    return JSON.parse(text) as DockerConfig;
  } catch (err) {
    throw new RegistryError("E_REGISTRY_AUTH", `cannot parse the auth file ${path}`, { cause: err, hint: "fix or remove the file, then run kiln login again" });
  }
}

/** Run `docker-credential-NAME ACTION` with `input` on stdin. */
async function runHelper(name: string, action: "get" | "store" | "erase", input: string): Promise<string | undefined> {
  const exe = `docker-credential-${name}`;
  const path = Bun.which(exe, { PATH: process.env.PATH ?? "" });
  if (!path) {
    throw new RegistryError("E_REGISTRY_AUTH", `credential helper ${exe} not found`, { hint: `install ${exe} or remove "${name}" from the Docker config` });
  }
  const r = await capture([path, action], { stdin: input });
  if (r.exitCode === 0) return r.stdout;
  // Helpers say "credentials not found in native keychain" on a miss.
  if (action !== "store" && /not found/i.test(r.stdout + r.stderr)) return undefined;
  throw new RegistryError("E_REGISTRY_AUTH", `${exe} ${action} failed: ${(r.stdout + r.stderr).trim().split("\n")[0]}`);
}

function helperFor(config: DockerConfig, key: string): string | undefined {
  return config.credHelpers?.[key] ?? config.credHelpers?.[hostOfKey(key)] ?? config.credsStore;
}

/** Credentials for a registry host from the auth file or a credential helper, if any. */
export async function findCredentials(registry: string, authFile?: string): Promise<Credentials | undefined> {
  const config = readConfig(authFilePath(authFile));
  const key = authKeyOf(registry);
  const entry =
    config.auths?.[key] ?? Object.entries(config.auths ?? {}).find(([k]) => hostOfKey(k) === hostOfKey(key))?.[1];
  if (entry) {
    let creds: Credentials | undefined;
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon > 0) creds = { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
    } else if (entry.username && entry.password) {
      creds = { username: entry.username, password: entry.password };
    }
    if (entry.identitytoken) creds = { username: creds?.username ?? "<token>", password: creds?.password ?? "", identityToken: entry.identitytoken };
    if (creds) return remember(creds);
  }
  const helper = helperFor(config, key);
  if (!helper) return undefined;
  const out = await runHelper(helper, "get", key);
  if (!out) return undefined;
  const parsed = JSON.parse(out) as { Username?: string; Secret?: string };
  if (!parsed.Secret) return undefined;
  // Docker's convention: the user name "<token>" marks an identity token.
  if (parsed.Username === "<token>") return remember({ username: "<token>", password: "", identityToken: parsed.Secret });
  return remember({ username: parsed.Username ?? "", password: parsed.Secret });
}

function remember(c: Credentials): Credentials {
  addSecret(c.password);
  addSecret(c.identityToken);
  addSecret(Buffer.from(`${c.username}:${c.password}`).toString("base64"));
  return c;
}

function writeConfig(path: string, config: DockerConfig): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // 0600, as docker writes it: the file holds passwords (base64 is no protection).
  writeFileAtomic(path, `${JSON.stringify(config, null, "\t")}\n`, 0o600);
}

/** Save credentials for a registry: to the credential helper if one is configured, else to the auth file. */
export async function storeCredentials(registry: string, creds: Credentials, authFile?: string): Promise<string> {
  const path = authFilePath(authFile);
  const config = readConfig(path);
  const key = authKeyOf(registry);
  const helper = helperFor(config, key);
  config.auths ??= {};
  if (helper) {
    await runHelper(helper, "store", JSON.stringify({ ServerURL: key, Username: creds.username, Secret: creds.password }));
    config.auths[key] = {};
    writeConfig(path, config);
    return `${path} (secret in docker-credential-${helper})`;
  }
  config.auths[key] = { auth: Buffer.from(`${creds.username}:${creds.password}`).toString("base64") };
  writeConfig(path, config);
  return path;
}

/** Remove a registry's credentials; false when there were none. */
export async function eraseCredentials(registry: string, authFile?: string): Promise<boolean> {
  const path = authFilePath(authFile);
  const config = readConfig(path);
  const key = authKeyOf(registry);
  const keys = Object.keys(config.auths ?? {}).filter((k) => k === key || hostOfKey(k) === hostOfKey(key));
  const helper = helperFor(config, key);
  let found = keys.length > 0;
  if (helper) found = (await runHelper(helper, "erase", key)) !== undefined || found;
  if (keys.length > 0) {
    for (const k of keys) delete config.auths![k];
    writeConfig(path, config);
  }
  return found;
}
