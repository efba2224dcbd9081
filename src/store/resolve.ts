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
 * What the resolver asks of a store: each question is one indexed query
 * (ImageCatalog), so a name costs the same whatever the number of images.
 */
export interface ImageLookup {
  hasId(id: Digest): boolean;
  /** The image whose manifest has this digest, or that a tag pointing at an index with it names. */
  idOfManifest(digest: Digest): Digest | undefined;
  /** The image a canonical reference (docker.io/library/alpine:latest) is tagged to. */
  idOfRef(ref: string): Digest | undefined;
  /** Ids starting with `prefix` (`sha256:` and hex). */
  idsWithPrefix(prefix: string): Digest[];
}

/** The same questions answered from a list (tests, small callers). */
function lookupIn(candidates: NameCandidate[]): ImageLookup {
  return {
    hasId: (id) => candidates.some((c) => c.id === id),
    idOfManifest: (d) => candidates.find((c) => c.manifestDigests.includes(d))?.id,
    idOfRef: (ref) => candidates.find((c) => c.refs.includes(ref))?.id,
    idsWithPrefix: (prefix) => candidates.map((c) => c.id).filter((id) => id.startsWith(prefix)),
  };
}

/**
 * Resolve what a user typed to an image, in Docker's order: a full id or
 * manifest digest; a reference (alpine, alpine:3.20, name@sha256:…); then a
 * unique prefix of an image id (`sha256:` optional, any length). A prefix that
 * fits several images is ambiguous, never a guess.
 */
export function resolveImageName(input: string, images: ImageLookup | NameCandidate[]): Resolution {
  const l = Array.isArray(images) ? lookupIn(images) : images;
  const full = isDigest(input) ? input : HEX64_RE.test(input) ? (`sha256:${input}` as Digest) : undefined;
  if (full) {
    const id = l.hasId(full) ? full : l.idOfManifest(full);
    return id ? { kind: "found", id } : { kind: "none" };
  }
  const named = canonicalOf(input);
  if (named) {
    if (named.digest) {
      const id = l.idOfManifest(named.digest) ?? (l.hasId(named.digest) ? named.digest : undefined);
      if (id) return { kind: "found", id };
    } else {
      const id = l.idOfRef(named.ref);
      if (id) return { kind: "found", id, ref: named.ref };
    }
  }
  if (ID_PREFIX_RE.test(input)) {
    const ids = [...new Set(l.idsWithPrefix(`sha256:${input.replace(/^sha256:/, "")}`))];
    if (ids.length === 1) return { kind: "found", id: ids[0]! };
    if (ids.length > 1) return { kind: "ambiguous", ids };
  }
  return { kind: "none" };
}

/**
 * The canonical tag resolveImageName looks `input` up as, if any: not for a
 * full id or digest (looked up as such first) nor a name@digest reference.
 */
export function tagLookedUp(input: string): string | undefined {
  if (isDigest(input) || HEX64_RE.test(input)) return undefined;
  const named = canonicalOf(input);
  return named && !named.digest ? named.ref : undefined;
}

/** The error for a name that resolves to nothing (`hint`: for commands where pulling it makes no sense, rmi, save). */
export function imageNotFound(input: string, hint = "list the images with 'kiln images'; pull, load or build it first"): StoreError {
  return new StoreError("E_IMAGE_NOT_FOUND", `No such image: ${input}`, { hint });
}

/** The error for an id prefix shared by several images. */
export function imageAmbiguous(input: string, ids: Digest[]): StoreError {
  return new StoreError("E_IMAGE_AMBIGUOUS", `image id prefix "${input}" is ambiguous: it fits ${ids.length} images`, {
    hint: `type more of the id (${ids.map((i) => digestHex(i).slice(0, 12)).join(", ")})`,
  });
}
