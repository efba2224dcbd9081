import { StoreError } from "../errors.ts";
import {
  chainIds,
  formatReference,
  hostPlatform,
  imageIdOf,
  isIndexMediaType,
  MEDIA_TYPE_DOCKER_LAYER,
  MEDIA_TYPE_DOCKER_LAYER_GZIP,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
  parseReference,
  selectPlatform,
  serializeConfig,
  type Descriptor,
  type Digest,
  type ImageConfig,
  type ImageIndex,
  type Manifest,
} from "../image/index.ts";
import type { BlobStore } from "./blobs.ts";
import type { MetaDb } from "./db.ts";
import type { FileLock } from "./lock.ts";
import { removeRef, setRef, type Layout } from "./layout.ts";
import { RefIndex } from "./ref-index.ts";
import { imageAmbiguous, imageNotFound, resolveImageName, tagLookedUp, type ImageLookup } from "./resolve.ts";

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

interface Loaded {
  id: Digest;
  manifestDigest: Digest;
  manifest: Manifest;
  config: ImageConfig;
}

interface Entry {
  id: Digest;
  manifestDigest: Digest;
  names: string[];
  parent?: Digest;
}

/** The layer descriptor for an OCI manifest: Docker layer media types become their OCI twins. */
function ociLayerDescriptor(d: Descriptor): Descriptor {
  const mediaType = d.mediaType === MEDIA_TYPE_DOCKER_LAYER_GZIP ? MEDIA_TYPE_OCI_LAYER_GZIP : d.mediaType === MEDIA_TYPE_DOCKER_LAYER ? MEDIA_TYPE_OCI_LAYER : d.mediaType;
  return { ...d, mediaType };
}

/** A reference usable as a tag: canonical, with a tag and no digest. */
export function tagReference(input: string): string {
  const ref = parseReference(input);
  if (ref.digest) {
    throw new StoreError("E_REFERENCE", `refusing to create a tag with a digest reference: ${input}`, { hint: "name a tag, e.g. app:1.0" });
  }
  return formatReference(ref);
}

/**
 * The images of a store. Which images exist is the union of the metadata db
 * (every image kiln committed, tagged or not) and index.json (tags, possibly
 * written by skopeo or umoci, indexed in the db by RefIndex); manifests and
 * configs are read from verified blobs and memoised by manifest digest.
 * Finding one image reads only that image's blobs.
 */
export class ImageCatalog {
  private readonly loaded = new Map<Digest, Loaded>();
  private readonly refs: RefIndex;

  constructor(
    private readonly blobs: BlobStore,
    private readonly layout: Layout,
    private readonly db: MetaDb,
    private readonly lockIndex: () => Promise<FileLock>,
  ) {
    this.refs = new RefIndex(layout, db, async (d) => {
      const l = await this.load(d.digest, d.mediaType);
      return { id: l.id, manifest: l.manifestDigest, config: l.manifest.config.digest };
    });
  }

  /** A manifest (or an index, followed to this host's platform) with its config. */
  async load(digest: Digest, mediaType?: string): Promise<Loaded> {
    const hit = this.loaded.get(digest);
    if (hit) return hit;
    const doc = await this.blobs.readJson<Manifest & Partial<ImageIndex>>(digest);
    if (isIndexMediaType(mediaType ?? doc.mediaType) || Array.isArray(doc.manifests)) {
      const child = selectPlatform(doc as unknown as ImageIndex, hostPlatform());
      const inner = await this.load(child.digest, child.mediaType);
      this.loaded.set(digest, inner);
      return inner;
    }
    const configBytes = await this.blobs.read(doc.config.digest);
    const loaded: Loaded = {
      id: imageIdOf(configBytes),
      manifestDigest: digest,
      manifest: doc,
      config: JSON.parse(new TextDecoder().decode(configBytes)) as ImageConfig,
    };
    this.loaded.set(digest, loaded);
    return loaded;
  }

  /** Every image, keyed by id, with its tags. Unreadable tags (missing blobs) are reported and skipped. */
  private async entries(onProblem?: ImageProblemReporter): Promise<Map<Digest, Entry>> {
    await this.refs.sync();
    const out = new Map<Digest, Entry>();
    for (const row of this.db.images()) out.set(row.id, { id: row.id, manifestDigest: row.manifest, names: [], parent: row.parent ?? undefined });
    for (const r of this.refs.rows()) {
      let image = r.image_id && r.image_manifest ? { id: r.image_id, manifest: r.image_manifest } : undefined;
      if (!image) {
        // Unreadable when indexed: ask again, to say why (or to find it repaired).
        try {
          const l = await this.load(r.manifest, r.media_type ?? undefined);
          image = { id: l.id, manifest: l.manifestDigest };
        } catch (err) {
          onProblem?.(r.name, err);
          continue;
        }
      }
      const e = out.get(image.id) ?? { id: image.id, manifestDigest: image.manifest, names: [] };
      e.names.push(r.name);
      out.set(image.id, e);
    }
    return out;
  }

  /** Indexed answers for resolveImageName (the tag index is in step: see resolve()). */
  private lookup(): ImageLookup {
    return {
      hasId: (id) => this.db.image(id) !== undefined || this.refs.tagsOf(id).length > 0,
      idOfManifest: (d) => this.db.imageByManifest(d)?.id ?? this.refs.imageOfManifest(d),
      idOfRef: (ref) => this.refs.get(ref)?.image_id ?? undefined,
      idsWithPrefix: (prefix) => [...this.db.imageIdsWithPrefix(prefix), ...this.refs.imageIdsWithPrefix(prefix)],
    };
  }

  /** One image's entry: its db row and its tags. */
  private entry(id: Digest): Entry {
    const row = this.db.image(id);
    const tags = this.refs.tagsOf(id);
    const manifestDigest = row?.manifest ?? tags.find((t) => t.image_manifest)?.image_manifest;
    if (!manifestDigest) throw imageNotFound(id);
    return { id, manifestDigest, names: tags.map((t) => t.name), ...(row?.parent ? { parent: row.parent } : {}) };
  }

  private async record(e: Entry): Promise<ImageRecord> {
    const l = await this.load(e.manifestDigest);
    const diffIds = l.config.rootfs?.diff_ids ?? [];
    const size = diffIds.reduce((sum, d, i) => sum + (this.db.layerSize(d) ?? l.manifest.layers[i]?.size ?? 0), 0);
    return {
      id: e.id,
      config: l.config,
      manifest: l.manifest,
      manifestDigest: l.manifestDigest,
      names: [...e.names].sort(),
      diffIds,
      chainIds: chainIds(diffIds),
      size,
      ...(e.parent ? { parent: e.parent } : {}),
    };
  }

  /** The image `nameOrId` names and, when it was named by a tag, that tag; ambiguous prefixes throw. */
  async resolve(nameOrId: string): Promise<{ record: ImageRecord; ref?: string } | undefined> {
    await this.refs.sync();
    const r = resolveImageName(nameOrId, this.lookup());
    if (r.kind === "ambiguous") throw imageAmbiguous(nameOrId, r.ids);
    if (r.kind === "none") return undefined;
    return { record: await this.record(this.entry(r.id)), ...(r.ref ? { ref: r.ref } : {}) };
  }

  /**
   * Id and config of the image `nameOrId` names: what a build's FROM needs.
   * For a tag that is one indexed query and the config blob (no manifest,
   * no other tags), the fully cached build's whole cost of naming its base.
   */
  async findConfig(nameOrId: string): Promise<{ id: Digest; config: ImageConfig } | undefined> {
    await this.refs.sync();
    const name = tagLookedUp(nameOrId);
    const tag = name ? this.refs.get(name) : undefined;
    if (tag?.image_id && tag.image_config) {
      const bytes = await this.blobs.read(tag.image_config);
      if (imageIdOf(bytes) === tag.image_id) return { id: tag.image_id, config: JSON.parse(new TextDecoder().decode(bytes)) as ImageConfig };
    }
    const rec = await this.find(nameOrId);
    return rec && { id: rec.id, config: rec.config };
  }

  /** The image `nameOrId` names, or undefined; an ambiguous id prefix throws E_IMAGE_AMBIGUOUS. */
  async find(nameOrId: string): Promise<ImageRecord | undefined> {
    return (await this.resolve(nameOrId))?.record;
  }

  async get(nameOrId: string): Promise<ImageRecord> {
    const rec = await this.find(nameOrId);
    if (!rec) throw imageNotFound(nameOrId);
    return rec;
  }

  /** All images, newest first; images that cannot be read are reported to `onProblem` and left out. */
  async list(onProblem?: ImageProblemReporter): Promise<ImageRecord[]> {
    const out: ImageRecord[] = [];
    for (const e of (await this.entries(onProblem)).values()) {
      try {
        out.push(await this.record(e));
      } catch (err) {
        // An image whose blobs are gone or corrupt cannot be listed; the caller says so.
        onProblem?.(e.names[0] ?? e.id, err);
      }
    }
    return out.sort((a, b) => (b.config.created ?? "").localeCompare(a.config.created ?? "") || a.id.localeCompare(b.id));
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
