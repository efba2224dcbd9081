import { StoreError } from "../errors.ts";
import {
  MEDIA_TYPE_DOCKER_LAYER,
  MEDIA_TYPE_DOCKER_LAYER_GZIP,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
  serializeConfig,
  type Descriptor,
  type Digest,
  type Manifest,
} from "../image/index.ts";
import type { BlobStore } from "./blobs.ts";
import type { MetaDb } from "./db.ts";
import { tagReference, type CommitImageInput, type ImageRecord } from "./image-record.ts";
import { ImageReader } from "./image-reader.ts";
import type { FileLock } from "./lock.ts";
import { removeRef, setRef, type Layout } from "./layout.ts";
import { imageNotFound } from "./resolve.ts";

export type { CommitImageInput, ImageProblemReporter, ImageRecord } from "./image-record.ts";
export { tagReference } from "./image-record.ts";

/** The layer descriptor for an OCI manifest: Docker layer media types become their OCI twins. */
function ociLayerDescriptor(d: Descriptor): Descriptor {
  const mediaType = d.mediaType === MEDIA_TYPE_DOCKER_LAYER_GZIP ? MEDIA_TYPE_OCI_LAYER_GZIP : d.mediaType === MEDIA_TYPE_DOCKER_LAYER ? MEDIA_TYPE_OCI_LAYER : d.mediaType;
  return { ...d, mediaType };
}

/**
 * The images of a store: reading them (ImageReader) and changing them:
 * committing, registering pulled or loaded manifests, tagging and untagging.
 * Tags are index.json entries, written under the index lock; every image kiln
 * knows also has a db row, so that it outlives its last tag, as in Docker.
 */
export class ImageCatalog extends ImageReader {
  constructor(
    blobs: BlobStore,
    layout: Layout,
    db: MetaDb,
    private readonly lockIndex: () => Promise<FileLock>,
  ) {
    super(blobs, layout, db);
  }

  /** Write config and manifest blobs for layers already stored, then register the image. */
  async commit(input: CommitImageInput): Promise<ImageRecord> {
    const diffIds = input.layers.map((l) => l.diffId);
    const declared = input.config.rootfs?.diff_ids ?? [];
    if (declared.length !== diffIds.length || declared.some((d, i) => d !== diffIds[i])) {
      throw new StoreError("E_INTERNAL", "commitImage: config.rootfs.diff_ids does not match the layers given");
    }
    for (const l of input.layers) {
      if (!this.blobs.has(l.descriptor.digest)) throw new StoreError("E_BLOB_NOT_FOUND", `layer blob ${l.descriptor.digest} is not in the store`);
      if (l.size !== undefined) this.db.putLayerSize(l.diffId, l.size);
    }
    const config = await this.blobs.put(input.configBytes ?? serializeConfig(input.config));
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      config: { mediaType: MEDIA_TYPE_OCI_CONFIG, digest: config.digest, size: config.size },
      layers: input.layers.map((l) => ociLayerDescriptor(l.descriptor)),
    };
    const m = await this.blobs.put(JSON.stringify(manifest));
    return this.addManifest(m.digest, { tags: input.tags, parent: input.parent });
  }

  /**
   * Register a manifest whose blobs are all in the store (written with
   * putBlob, e.g. by a pull or a load) as an image, with optional tags.
   */
  async addManifest(digest: Digest, opts: { tags?: string[]; parent?: Digest } = {}): Promise<ImageRecord> {
    const l = await this.load(digest);
    for (const d of [l.manifest.config, ...l.manifest.layers]) {
      if (!this.blobs.has(d.digest) && !d.urls?.length) throw new StoreError("E_BLOB_NOT_FOUND", `blob ${d.digest} of manifest ${digest} is not in the store`);
    }
    const refs = (opts.tags ?? []).map(tagReference);
    using _lock = await this.lockIndex();
    this.db.putImage({ id: l.id, manifest: l.manifestDigest, parent: opts.parent ?? null, added: Date.now() });
    if (refs.length > 0) await this.writeRefs(refs, l.manifestDigest, l.manifest.mediaType);
    return this.get(l.id);
  }

  /** Point refs at a manifest (index lock held). An image that loses its last tag stays, untagged. */
  private async writeRefs(refs: string[], manifestDigest: Digest, mediaType: string | undefined): Promise<void> {
    let index = this.layout.readIndex();
    const descriptor: Descriptor = { mediaType: mediaType ?? MEDIA_TYPE_OCI_MANIFEST, digest: manifestDigest, size: this.blobs.size(manifestDigest) };
    for (const ref of refs) {
      const prev = this.layout.refs(index).find((r) => r.ref === ref);
      if (prev && prev.descriptor.digest !== manifestDigest) await this.keepUntagged(prev.descriptor);
      index = setRef(index, ref, descriptor);
    }
    this.layout.writeIndex(index);
  }

  /**
   * An image known only through a tag (written by skopeo, say) gets a db row
   * before the tag moves away, so that it stays as an untagged image, as in Docker.
   */
  private async keepUntagged(descriptor: Descriptor): Promise<void> {
    const before = await this.load(descriptor.digest, descriptor.mediaType).catch(() => undefined);
    if (before && !this.db.image(before.id)) this.db.putImage({ id: before.id, manifest: before.manifestDigest, parent: null, added: Date.now() });
  }

  /** docker tag: make `target` name the image `nameOrId` names. */
  async tag(nameOrId: string, target: string): Promise<void> {
    const ref = tagReference(target);
    const rec = await this.get(nameOrId);
    using _lock = await this.lockIndex();
    if (!this.db.image(rec.id)) this.db.putImage({ id: rec.id, manifest: rec.manifestDigest, parent: null, added: Date.now() });
    await this.writeRefs([ref], rec.manifestDigest, rec.manifest.mediaType);
  }

  /** Remove one tag; the image itself stays (untagged) until rmi or prune. */
  async untag(target: string): Promise<void> {
    const ref = tagReference(target);
    using _lock = await this.lockIndex();
    const index = this.layout.readIndex();
    const prev = this.layout.refs(index).find((r) => r.ref === ref);
    if (!prev) throw imageNotFound(target);
    await this.keepUntagged(prev.descriptor);
    this.layout.writeIndex(removeRef(index, ref).index);
  }
}

