import {
  chainIds,
  hostPlatform,
  isIndexMediaType,
  selectPlatform,
  type Digest,
  type ImageConfig,
  type ImageIndex,
  type Manifest,
} from "../image/index.ts";
import type { BlobStore } from "./blobs.ts";
import type { MetaDb } from "./db.ts";
import type { ImageProblemReporter, ImageRecord } from "./image-record.ts";
import type { Layout } from "./layout.ts";
import { RefIndex } from "./ref-index.ts";
import { imageAmbiguous, imageNotFound, resolveImageName, tagLookedUp, type ImageLookup } from "./resolve.ts";

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

/**
 * Reading the images of a store. Which images exist is the union of the
 * metadata db (every image kiln committed, tagged or not) and index.json
 * (tags, possibly written by skopeo or umoci, indexed in the db by RefIndex);
 * manifests and configs are read from verified blobs and memoised by manifest
 * digest. Finding one image reads only that image's blobs. Writing (commit,
 * tag, untag) is ImageCatalog's, in images.ts.
 */
export class ImageReader {
  private readonly loaded = new Map<Digest, Loaded>();
  private readonly refs: RefIndex;

  constructor(
    protected readonly blobs: BlobStore,
    protected readonly layout: Layout,
    protected readonly db: MetaDb,
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
    // read() has verified the bytes against the config digest: that digest is the id.
    const configBytes = await this.blobs.read(doc.config.digest);
    const loaded: Loaded = {
      id: doc.config.digest,
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
      // Last, a registry's digest: an index pulled through, whose tag may have moved on.
      idOfManifest: (d) => this.db.imageByManifest(d)?.id ?? this.refs.imageOfManifest(d) ?? this.db.imageOfRepoDigest(d),
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
      // read() verified the bytes hash to image_config: they are this id's config when the two digests agree.
      const bytes = await this.blobs.read(tag.image_config);
      if (tag.image_config === tag.image_id) return { id: tag.image_id, config: JSON.parse(new TextDecoder().decode(bytes)) as ImageConfig };
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
}
