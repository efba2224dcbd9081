import { KilnError } from "../errors.ts";
import { isDigest, type Digest } from "./digest.ts";

export const DEFAULT_DOMAIN = "docker.io";
export const DEFAULT_TAG = "latest";
const LEGACY_DOMAIN = "index.docker.io";
const OFFICIAL_PREFIX = "library/";

const COMPONENT_RE = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*$/;
const TAG_RE = /^[\w][\w.-]{0,127}$/;
const DOMAIN_RE = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?$/;

/** A fully normalised image reference: docker.io/library/alpine:latest, localhost:5000/a/b@sha256:…. */
export interface Reference {
  /** Registry host[:port] as the user names it (docker.io for Docker Hub). */
  domain: string;
  /** Repository path inside the registry ("library/alpine"). */
  path: string;
  tag?: string;
  digest?: Digest;
}

function fail(input: string, why: string): never {
  throw new KilnError("E_REFERENCE", `invalid reference "${input}": ${why}`, {
    hint: "an image reference looks like NAME[:TAG][@DIGEST], e.g. alpine:3.20 or localhost:5000/team/app@sha256:…",
  });
}

/**
 * Parse and normalise a reference the way Docker does: a first component is a
 * registry only if it has a dot or a colon or is `localhost`; Docker Hub names
 * get `docker.io/` and, for single names, `library/`; a missing tag (and no
 * digest) means `latest`.
 */
export function parseReference(input: string): Reference {
  if (input === "" || input.length > 512) fail(input, "empty or longer than 512 characters");
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    const d = rest.slice(at + 1);
    if (!isDigest(d)) fail(input, "the digest must be sha256: followed by 64 lowercase hex digits");
    digest = d;
    rest = rest.slice(0, at);
  }
  let domain = DEFAULT_DOMAIN;
  const slash = rest.indexOf("/");
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase()) {
      if (!DOMAIN_RE.test(first)) fail(input, `"${first}" is not a valid registry host`);
      domain = first === LEGACY_DOMAIN ? DEFAULT_DOMAIN : first;
      rest = rest.slice(slash + 1);
    }
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG_RE.test(tag)) fail(input, `"${tag}" is not a valid tag`);
  }
  if (rest !== rest.toLowerCase()) fail(input, "repository names must be lowercase");
  const parts = rest.split("/");
  for (const p of parts) if (!COMPONENT_RE.test(p)) fail(input, `"${p}" is not a valid name component`);
  let path = rest;
  if (domain === DEFAULT_DOMAIN && parts.length === 1) path = OFFICIAL_PREFIX + path;
  if (tag === undefined && digest === undefined) tag = DEFAULT_TAG;
  return { domain, path, tag, digest };
}

/** Is this string a syntactically valid reference? */
export function isReference(input: string): boolean {
  try {
    parseReference(input);
    return true;
  } catch {
    return false;
  }
}

/** The repository part, in full: docker.io/library/alpine. */
export function repositoryName(ref: Reference): string {
  return `${ref.domain}/${ref.path}`;
}

/** The canonical string: docker.io/library/alpine:latest, or …@sha256:… */
export function formatReference(ref: Reference): string {
  return `${repositoryName(ref)}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** The short form Docker shows: alpine:latest, team/app:1, localhost:5000/x:y. */
export function familiarName(ref: Reference): string {
  let repo = repositoryName(ref);
  if (ref.domain === DEFAULT_DOMAIN) {
    repo = ref.path.startsWith(OFFICIAL_PREFIX) ? ref.path.slice(OFFICIAL_PREFIX.length) : ref.path;
  }
  return `${repo}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}

/** Familiar repository without tag or digest ("alpine", "localhost:5000/x"). */
export function familiarRepository(ref: Reference): string {
  return familiarName({ ...ref, tag: undefined, digest: undefined });
}

/** parseReference then formatReference: the canonical string for any accepted input. */
export function normalizeReference(input: string): string {
  return formatReference(parseReference(input));
}
