import { KilnError } from "../errors.ts";
import type { Sha256Digest } from "../util/digest.ts";

export type Digest = Sha256Digest;

const DIGEST_RE = /^sha256:[a-f0-9]{64}$/;

export function isDigest(s: string): s is Digest {
  return DIGEST_RE.test(s);
}

/** Validate a digest string; only sha256 is accepted (as Docker and the OCI spec require for images). */
export function parseDigest(s: string): Digest {
  if (!isDigest(s)) {
    throw new KilnError("E_REFERENCE", `invalid digest "${s}": expected sha256: and 64 lowercase hex digits`);
  }
  return s;
}

/** The hex part of a digest. */
export function digestHex(d: Digest): string {
  return d.slice("sha256:".length);
}

/** Docker's short id: the first 12 hex digits. */
export function shortId(d: Digest | string): string {
  return d.replace(/^sha256:/, "").slice(0, 12);
}
