import { RegistryError } from "../errors.ts";
import { DEFAULT_DOMAIN } from "../image/index.ts";
import { eraseCredentials, storeCredentials, type Credentials } from "./credentials.ts";
import { RegistryTransport } from "./transport.ts";
import type { RegistryOptions } from "./types.ts";

/** "https://host:5000/v2/" or "host:5000" → "host:5000"; nothing → docker.io, as `docker login` does. */
export function normalizeRegistryHost(input: string | undefined): string {
  if (!input) return DEFAULT_DOMAIN;
  const host = input.replace(/^https?:\/\//, "").split("/")[0]!.toLowerCase();
  return host === "index.docker.io" || host === "registry-1.docker.io" ? DEFAULT_DOMAIN : host;
}

/**
 * Check credentials against the registry: GET /v2/ with them, which for a
 * token registry means a token request to the realm with these credentials.
 * Throws E_REGISTRY_AUTH when the registry refuses them.
 */
export async function verifyCredentials(registry: string, credentials: Credentials, opts: RegistryOptions = {}): Promise<void> {
  const t = new RegistryTransport(registry, { ...opts, credentials });
  const res = await t.request({ path: "/v2/", scopes: [] });
  await res.arrayBuffer().catch(() => undefined);
  if (res.status === 401 || res.status === 403) {
    throw new RegistryError("E_REGISTRY_AUTH", `${registry}: unauthorized: incorrect username or password`, {
      hint: `check the user name and password, then run kiln login ${registry} again`,
    });
  }
  if (!res.ok) throw new RegistryError("E_REGISTRY", `${registry}: login check answered ${res.status} ${res.statusText}`);
}

/** Verify and then save credentials (auth file or credential helper). Returns where they went. */
export async function login(registry: string, credentials: Credentials, opts: RegistryOptions = {}): Promise<string> {
  await verifyCredentials(registry, credentials, opts);
  return storeCredentials(registry, credentials, opts.authFile);
}

/** Remove saved credentials; false when there were none. */
export function logout(registry: string, opts: { authFile?: string } = {}): Promise<boolean> {
  return eraseCredentials(registry, opts.authFile);
}
