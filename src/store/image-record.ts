import { StoreError } from "../errors.ts";
import { formatReference, parseReference, type Descriptor, type Digest, type ImageConfig, type Manifest } from "../image/index.ts";

/** An image of the store, with everything commands and the builder need. */
export interface ImageRecord {
  id: Digest;
  config: ImageConfig;
  manifest: Manifest;
  manifestDigest: Digest;
  /** Canonical references tagged to it, sorted. */
  names: string[];
  diffIds: Digest[];
  chainIds: Digest[];
  /** Uncompressed size of its layers where known (compressed otherwise), like docker's SIZE. */
  size: number;
  /** The image it was built on, when kiln built it. */
  parent?: Digest;
}

export interface CommitImageInput {
  config: ImageConfig;
  /** Exact config bytes, for images made elsewhere (their id is the digest of these bytes). */
  configBytes?: string | Uint8Array;
  /** Layer blobs already in the store; `size` is the uncompressed content size when known. */
  layers: { descriptor: Descriptor; diffId: Digest; size?: number }[];
  tags?: string[];
  parent?: Digest;
}

/** Told about an image (name or id) whose manifest or config cannot be read. */
export type ImageProblemReporter = (image: string, err: unknown) => void;

/** A reference usable as a tag: canonical, with a tag and no digest. */
export function tagReference(input: string): string {
  const ref = parseReference(input);
  if (ref.digest) {
    throw new StoreError("E_REFERENCE", `refusing to create a tag with a digest reference: ${input}`, { hint: "name a tag, e.g. app:1.0" });
  }
  return formatReference(ref);
}
