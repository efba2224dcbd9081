import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../errors.ts";
import { ANNOTATION_REF_NAME, MEDIA_TYPE_OCI_INDEX, type Descriptor, type ImageIndex } from "../image/index.ts";
import { writeFileAtomic } from "../util/fs-atomic.ts";

export const OCI_LAYOUT_FILE = "oci-layout";
export const INDEX_FILE = "index.json";
const OCI_LAYOUT_CONTENT = `${JSON.stringify({ imageLayoutVersion: "1.0.0" })}`;

/** A tag of the store: a canonical reference and the manifest it names. */
export interface RefEntry {
  ref: string;
  descriptor: Descriptor;
}

export function emptyIndex(): ImageIndex {
  return { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests: [] };
}

/**
 * The OCI image layout files of a store: `oci-layout` and `index.json`. Tags
 * are index entries annotated with `org.opencontainers.image.ref.name` set to
 * the full canonical reference (docker.io/library/alpine:latest), which both
 * `skopeo … oci:STORE:REF` and `umoci ls --layout STORE` read. Writers hold the
 * store's index lock; readers need none (index.json is replaced atomically).
 */
export class Layout {
  constructor(readonly root: string) {}

  get indexPath(): string {
    return join(this.root, INDEX_FILE);
  }

  /** Create the layout files if missing (call under the index lock). */
  init(): void {
    if (!existsSync(join(this.root, OCI_LAYOUT_FILE))) writeFileAtomic(join(this.root, OCI_LAYOUT_FILE), OCI_LAYOUT_CONTENT);
    if (!existsSync(this.indexPath)) this.writeIndex(emptyIndex());
  }

  readIndex(): ImageIndex {
    let text: string;
    try {
      text = readFileSync(this.indexPath, "utf8");
    } catch {
      return emptyIndex();
    }
    return parseIndex(text, this.indexPath);
  }

  writeIndex(index: ImageIndex): void {
    writeFileAtomic(this.indexPath, JSON.stringify(index, null, 2));
  }

  /** All tagged entries of the index. */
  refs(index: ImageIndex = this.readIndex()): RefEntry[] {
    const out: RefEntry[] = [];
    for (const d of index.manifests) {
      const ref = d.annotations?.[ANNOTATION_REF_NAME];
      if (ref) out.push({ ref, descriptor: d });
    }
    return out;
  }
}

/** index.json's text (read from `path`) as an index; anything else is E_STORE with what to do. */
export function parseIndex(text: string, path: string): ImageIndex {
  try {
    const index = JSON.parse(text) as ImageIndex;
    if (!Array.isArray(index.manifests)) throw new Error("no manifests array");
    return index;
  } catch (err) {
    throw new StoreError("E_STORE", `${path} is not a valid OCI index: ${(err as Error).message}`, {
      hint: "restore it from a backup, or remove it to start with no tags (blobs stay until kiln prune)",
    });
  }
}

/** Point `ref` at `descriptor` (replacing what it named before). Pure: returns a new index. */
export function setRef(index: ImageIndex, ref: string, descriptor: Descriptor): ImageIndex {
  const kept = index.manifests.filter((d) => d.annotations?.[ANNOTATION_REF_NAME] !== ref);
  const entry: Descriptor = {
    mediaType: descriptor.mediaType,
    digest: descriptor.digest,
    size: descriptor.size,
    ...(descriptor.platform ? { platform: descriptor.platform } : {}),
    annotations: { [ANNOTATION_REF_NAME]: ref },
  };
  return { ...index, manifests: [...kept, entry] };
}

/** Drop `ref` from the index; `removed` says whether it was there. */
export function removeRef(index: ImageIndex, ref: string): { index: ImageIndex; removed: boolean } {
  const kept = index.manifests.filter((d) => d.annotations?.[ANNOTATION_REF_NAME] !== ref);
  return { index: { ...index, manifests: kept }, removed: kept.length !== index.manifests.length };
}
