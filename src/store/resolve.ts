import { StoreError } from "../errors.ts";
import { digestHex, isDigest, parseReference, formatReference, type Digest } from "../image/index.ts";

/** What the resolver knows about one image of the store. */
export interface NameCandidate {
  id: Digest;
  /** Digests of manifests (and indexes) that name this image. */
  manifestDigests: Digest[];
  /** Canonical references (docker.io/library/alpine:latest) tagged to it. */
  refs: string[];
}

export type Resolution =
  | { kind: "found"; id: Digest; ref?: string }
  | { kind: "ambiguous"; ids: Digest[] }
  | { kind: "none" };

const HEX64_RE = /^[a-f0-9]{64}$/;
const ID_PREFIX_RE = /^(?:sha256:)?[a-f0-9]{1,64}$/;

function canonicalOf(input: string): { ref: string; digest?: Digest; tagged: boolean } | undefined {
  try {
    const r = parseReference(input);
    return { ref: formatReference(r), digest: r.digest, tagged: r.tag !== undefined };
  } catch {
    return undefined;
  }
}

/**
 * Resolve what a user typed to an image, in Docker's order: a full id or
 * manifest digest; a reference (alpine, alpine:3.20, name@sha256:…); then a
 * unique prefix of an image id (`sha256:` optional, any length). A prefix that
 * fits several images is ambiguous, never a guess.
 */
export function resolveImageName(input: string, candidates: NameCandidate[]): Resolution {
  const full = isDigest(input) ? input : HEX64_RE.test(input) ? (`sha256:${input}` as Digest) : undefined;
  if (full) {
    const hit = candidates.find((c) => c.id === full) ?? candidates.find((c) => c.manifestDigests.includes(full));
    return hit ? { kind: "found", id: hit.id } : { kind: "none" };
  }
  const named = canonicalOf(input);
  if (named) {
    if (named.digest) {
      const hit = candidates.find((c) => c.manifestDigests.includes(named.digest!)) ?? candidates.find((c) => c.id === named.digest);
      if (hit) return { kind: "found", id: hit.id };
    } else {
      const hit = candidates.find((c) => c.refs.includes(named.ref));
      if (hit) return { kind: "found", id: hit.id, ref: named.ref };
    }
  }
  if (ID_PREFIX_RE.test(input)) {
    const prefix = input.replace(/^sha256:/, "");
    const ids = [...new Set(candidates.map((c) => c.id).filter((id) => digestHex(id).startsWith(prefix)))];
    if (ids.length === 1) return { kind: "found", id: ids[0]! };
    if (ids.length > 1) return { kind: "ambiguous", ids };
  }
  return { kind: "none" };
}

/** The error for a name that resolves to nothing. */
export function imageNotFound(input: string): StoreError {
  return new StoreError("E_IMAGE_NOT_FOUND", `No such image: ${input}`, {
    hint: "list the images with 'kiln images'; pull, load or build it first",
  });
}

/** The error for an id prefix shared by several images. */
export function imageAmbiguous(input: string, ids: Digest[]): StoreError {
  return new StoreError("E_IMAGE_AMBIGUOUS", `image id prefix "${input}" is ambiguous: it fits ${ids.length} images`, {
    hint: `type more of the id (${ids.map((i) => digestHex(i).slice(0, 12)).join(", ")})`,
  });
}
