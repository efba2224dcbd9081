import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { RegistryError } from "../errors.ts";

/**
 * Mirrors and rewrites, read from a small JSON file modelled on
 * containers-registries.conf(5) (documented in README, "Registry mirrors"):
 *
 *   { "registries": [ { "prefix": "docker.io",
 *                       "location": "registry.example.com/hub",
 *                       "insecure": false,
 *                       "mirrors": [ { "location": "mirror.local:5000/hub", "insecure": true } ] } ] }
 *
 * The longest `prefix` that matches a repository (whole path components)
 * wins; the prefix is replaced by `location` (default: the prefix itself).
 * Pulls try each mirror in order, then the location; pushes go to the
 * location only.
 */
export interface RegistryEntry {
  prefix: string;
  location?: string;
  insecure?: boolean;
  mirrors?: { location: string; insecure?: boolean }[];
}

/** One place to try for a repository: the registry host and the repository path there. */
export interface RepositoryEndpoint {
  registry: string;
  repository: string;
  insecure: boolean;
  mirror: boolean;
}

/** The default file: $XDG_CONFIG_HOME/kiln/registries.json, else /etc/kiln/registries.json. */
export function registriesConfigPath(explicit?: string): string | undefined {
  if (explicit) return explicit;
  if (process.env.KILN_REGISTRIES_CONFIG) return process.env.KILN_REGISTRIES_CONFIG;
  const xdg = process.env.XDG_CONFIG_HOME ?? join(process.env.HOME ?? homedir(), ".config");
  for (const p of [join(xdg, "kiln/registries.json"), "/etc/kiln/registries.json"]) if (existsSync(p)) return p;
  return undefined;
}

/** Read the entries of a registries file (none when there is no file). */
export function loadRegistriesConfig(path: string | undefined): RegistryEntry[] {
  if (!path || !existsSync(path)) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new RegistryError("E_REGISTRY", `cannot parse ${path}`, { cause: err, hint: "see README, \"Registry mirrors\", for the format" });
  }
  const entries = (parsed as { registries?: unknown }).registries;
  if (!Array.isArray(entries) || entries.some((e) => typeof e?.prefix !== "string")) {
    throw new RegistryError("E_REGISTRY", `${path}: "registries" must be a list of objects with a "prefix"`, {
      hint: "see README, \"Registry mirrors\", for the format",
    });
  }
  return entries as RegistryEntry[];
}

function matches(prefix: string, name: string): boolean {
  return name === prefix || name.startsWith(prefix.endsWith("/") ? prefix : `${prefix}/`);
}

function split(location: string, rest: string): { registry: string; repository: string } {
  const full = `${location.replace(/\/+$/, "")}${rest}`;
  const slash = full.indexOf("/");
  return { registry: full.slice(0, slash), repository: full.slice(slash + 1) };
}

/**
 * Where to find `domain/path`: mirrors first (for pulls), then the location.
 * Without a matching entry, just the registry the reference names.
 */
export function resolveEndpoints(entries: RegistryEntry[], domain: string, path: string, purpose: "pull" | "push"): RepositoryEndpoint[] {
  const name = `${domain}/${path}`;
  let best: RegistryEntry | undefined;
  for (const e of entries) if (matches(e.prefix, name) && (!best || e.prefix.length > best.prefix.length)) best = e;
  if (!best) return [{ registry: domain, repository: path, insecure: false, mirror: false }];
  const rest = name.slice(best.prefix.replace(/\/+$/, "").length);
  const out: RepositoryEndpoint[] = [];
  if (purpose === "pull") {
    for (const m of best.mirrors ?? []) out.push({ ...split(m.location, rest), insecure: m.insecure === true, mirror: true });
  }
  out.push({ ...split(best.location ?? best.prefix, rest), insecure: best.insecure === true, mirror: false });
  return out;
}
