import { closeSync, fstatSync, openSync, readFileSync, statSync } from "node:fs";
import type { Descriptor, Digest, ImageIndex } from "../image/index.ts";
import type { MetaDb } from "./db.ts";
import { emptyIndex, parseIndex, type Layout } from "./layout.ts";

/** A tag as the tags table keeps it. */
export interface RefRow {
  name: string;
  manifest: Digest;
  media_type: string | null;
  /** The image the tag names, and its manifest (the platform's, for an index); null when its blobs cannot be read. */
  image_id: Digest | null;
  image_manifest: Digest | null;
  image_config: Digest | null;
}

/** Finds the image a tag's descriptor leads to (reading its blobs); throws when it cannot. */
export type ImageOfDescriptor = (d: Descriptor) => Promise<TaggedImage>;

/** What a tag leads to: the image id, its (platform) manifest and its config blob. */
export interface TaggedImage {
  id: Digest;
  manifest: Digest;
  config: Digest;
}

const SIGNATURE_KEY = "tags:index.json";

/** What identifies one version of index.json: it is only ever replaced by rename (a new inode). */
function signatureOf(st: { size: bigint; mtimeNs: bigint; ctimeNs: bigint; ino: bigint }): string {
  return `${st.size}:${st.mtimeNs}:${st.ctimeNs}:${st.ino}`;
}

/**
 * The store's tags, indexed: a copy of index.json's `ref.name` entries in the
 * metadata db (`tags`), each with the image it resolves to, so that a name
 * is found with one indexed query instead of reading index.json and every
 * image. index.json stays the truth (skopeo and umoci write it too): the copy
 * records the signature (size, mtime, ctime, inode) of the index.json it was
 * made from, and is rebuilt whenever the file has another one. A rebuild reads
 * blobs only for manifests it has not resolved before (ids are content-addressed).
 */
export class RefIndex {
  constructor(
    private readonly layout: Layout,
    private readonly db: MetaDb,
    private readonly imageOf: ImageOfDescriptor,
  ) {}

  /** Bring the table in step with index.json if the file changed (one stat and one query when it did not). */
  async sync(): Promise<void> {
    const st = statSync(this.layout.indexPath, { bigint: true, throwIfNoEntry: false });
    const current = st ? signatureOf(st) : "none";
    if (this.db.meta(SIGNATURE_KEY) === current) return;
    const { index, signature } = this.readIndex();
    // Tags that did not move were resolved before: only new manifests are read (once; ids are content-addressed).
    const known = new Map<Digest, TaggedImage>();
    for (const r of this.rows()) {
      if (r.image_id && r.image_manifest && r.image_config) known.set(r.manifest, { id: r.image_id, manifest: r.image_manifest, config: r.image_config });
    }
    const rows: RefRow[] = [];
    for (const { ref, descriptor } of this.layout.refs(index)) {
      const image = known.get(descriptor.digest) ?? (await this.imageOf(descriptor).catch(() => undefined));
      if (image) known.set(descriptor.digest, image);
      rows.push({
        name: ref,
        manifest: descriptor.digest,
        media_type: descriptor.mediaType ?? null,
        image_id: image?.id ?? null,
        image_manifest: image?.manifest ?? null,
        image_config: image?.config ?? null,
      });
    }
    this.db.transaction(() => {
      this.db.database.query("DELETE FROM tags").run();
      const insert = this.db.database.query(
        "INSERT OR REPLACE INTO tags (name, manifest, media_type, image_id, image_manifest, image_config) VALUES ($name, $manifest, $media_type, $image_id, $image_manifest, $image_config)",
      );
      for (const r of rows) insert.run({ ...r });
      this.db.putMeta(SIGNATURE_KEY, signature);
    });
  }

  /** index.json and the signature of exactly the version read (fstat of the open file). */
  private readIndex(): { index: ImageIndex; signature: string } {
    let fd: number;
    try {
      fd = openSync(this.layout.indexPath, "r");
    } catch {
      return { index: emptyIndex(), signature: "none" };
    }
    try {
      const signature = signatureOf(fstatSync(fd, { bigint: true }));
      return { index: parseIndex(readFileSync(fd, "utf8"), this.layout.indexPath), signature };
    } finally {
      closeSync(fd);
    }
  }

  /** Every tag (call sync() first). */
  rows(): RefRow[] {
    return this.db.database.query("SELECT * FROM tags ORDER BY name").all() as RefRow[];
  }

  /** The tag `name` (a canonical reference). */
  get(name: string): RefRow | undefined {
    return (this.db.database.query("SELECT * FROM tags WHERE name = ?").get(name) as RefRow | null) ?? undefined;
  }

  /** The tagged image whose manifest, or the index a tag points at, is `digest`. */
  imageOfManifest(digest: Digest): Digest | undefined {
    const q = "SELECT image_id FROM tags WHERE (manifest = $d OR image_manifest = $d) AND image_id IS NOT NULL LIMIT 1";
    return (this.db.database.query(q).get({ d: digest }) as { image_id: Digest } | null)?.image_id;
  }

  /** Tags naming image `id`, and the digests they point at. */
  tagsOf(id: Digest): RefRow[] {
    return this.db.database.query("SELECT * FROM tags WHERE image_id = ? ORDER BY name").all(id) as RefRow[];
  }

  /** Ids of tagged images starting with `prefix` (`sha256:` included). */
  imageIdsWithPrefix(prefix: string): Digest[] {
    return (this.db.database.query("SELECT DISTINCT image_id FROM tags WHERE image_id GLOB ?").all(`${prefix}*`) as { image_id: Digest }[]).map((r) => r.image_id);
  }
}
