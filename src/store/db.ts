import { Database } from "bun:sqlite";
import { existsSync } from "node:fs";
import type { Digest } from "../image/index.ts";

export interface ImageRow {
  id: Digest;
  manifest: Digest;
  parent: Digest | null;
  added: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS images (
  id TEXT PRIMARY KEY,          -- image id: digest of the config
  manifest TEXT NOT NULL,       -- digest of the manifest blob that names it
  parent TEXT,                  -- image this one was built on (classic builder), for rmi and history
  added INTEGER NOT NULL        -- ms since epoch when the store got it
);
CREATE INDEX IF NOT EXISTS images_parent ON images(parent);
CREATE INDEX IF NOT EXISTS images_manifest ON images(manifest);
CREATE TABLE IF NOT EXISTS tags (
  name TEXT PRIMARY KEY,        -- a tag: index.json's ref.name (canonical reference)
  manifest TEXT NOT NULL,       -- the digest it points at (a manifest, or an index)
  media_type TEXT,
  image_id TEXT,                -- the image that is; NULL when its blobs cannot be read
  image_manifest TEXT,          -- that image's manifest (the platform's one when a tag points at an index)
  image_config TEXT             -- and its config blob
);
CREATE INDEX IF NOT EXISTS tags_manifest ON tags(manifest);
CREATE INDEX IF NOT EXISTS tags_image_manifest ON tags(image_manifest);
CREATE INDEX IF NOT EXISTS tags_image ON tags(image_id);
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS layers (
  diff_id TEXT PRIMARY KEY,     -- uncompressed layer digest
  size INTEGER NOT NULL         -- bytes of file content it holds (docker's layer size)
);
CREATE TABLE IF NOT EXISTS snapshots (
  chain_id TEXT PRIMARY KEY,
  size INTEGER NOT NULL,
  created INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS repo_digests (
  repository TEXT NOT NULL,     -- canonical repository (docker.io/library/alpine) it was pulled from or pushed to
  digest TEXT NOT NULL,         -- the registry's manifest (or index) digest there: docker's RepoDigests
  image_id TEXT NOT NULL,
  PRIMARY KEY (repository, digest)
);
CREATE INDEX IF NOT EXISTS repo_digests_image ON repo_digests(image_id);
CREATE TABLE IF NOT EXISTS build_cache (
  key TEXT PRIMARY KEY,
  image_id TEXT NOT NULL,
  created INTEGER NOT NULL
);
`;

/** One `meta` value of the kiln.db at `path`, read only (undefined when the file or the key is not there). */
export function readMeta(path: string, key: string): string | undefined {
  if (!existsSync(path)) return undefined;
  try {
    const db = new Database(path, { readonly: true });
    try {
      return (db.query("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | null)?.value;
    } finally {
      db.close();
    }
  } catch {
    return undefined; // an older store without the table, or a db being created: nothing recorded
  }
}

/**
 * The store's metadata: what the OCI layout has no place for (untagged and
 * intermediate images, parents, the build cache, layer sizes, snapshot
 * bookkeeping). SQLite in WAL mode with a busy timeout, so several kiln
 * processes can read and write at once; every statement is crash-safe.
 * Other modules may add their own tables through `database` (container records).
 */
export class MetaDb {
  readonly database: Database;

  constructor(path: string) {
    this.database = new Database(path, { create: true, strict: true });
    // busy_timeout first: switching to WAL needs a lock another process may hold.
    this.database.exec("PRAGMA busy_timeout = 30000");
    this.database.exec("PRAGMA journal_mode = WAL");
    this.database.exec("PRAGMA synchronous = NORMAL");
    this.database.exec(SCHEMA);
  }

  close(): void {
    this.database.close();
  }

  putImage(row: ImageRow): void {
    // Keep the first parent and added time a record got: a re-commit of the same config changes neither.
    this.database
      .query(
        `INSERT INTO images (id, manifest, parent, added) VALUES ($id, $manifest, $parent, $added)
         ON CONFLICT(id) DO UPDATE SET manifest = excluded.manifest, parent = COALESCE(images.parent, excluded.parent)`,
      )
      .run({ id: row.id, manifest: row.manifest, parent: row.parent, added: row.added });
  }

  image(id: Digest): ImageRow | undefined {
    return (this.database.query("SELECT * FROM images WHERE id = ?").get(id) as ImageRow | null) ?? undefined;
  }

  /** The image whose manifest blob is `manifest`. */
  imageByManifest(manifest: Digest): ImageRow | undefined {
    return (this.database.query("SELECT * FROM images WHERE manifest = ? LIMIT 1").get(manifest) as ImageRow | null) ?? undefined;
  }

  /** Ids of images starting with `prefix` (an id's hex, `sha256:` included): indexed, never a scan of all images. */
  imageIdsWithPrefix(prefix: string): Digest[] {
    // GLOB is case-sensitive, so SQLite answers it from the primary-key index; prefix is hex only (no wildcards).
    return (this.database.query("SELECT id FROM images WHERE id GLOB ?").all(`${prefix}*`) as { id: Digest }[]).map((r) => r.id);
  }

  images(): ImageRow[] {
    return this.database.query("SELECT * FROM images").all() as ImageRow[];
  }

  children(id: Digest): Digest[] {
    return (this.database.query("SELECT id FROM images WHERE parent = ?").all(id) as { id: Digest }[]).map((r) => r.id);
  }

  deleteImage(id: Digest): void {
    this.database.query("DELETE FROM images WHERE id = ?").run(id);
    this.database.query("DELETE FROM build_cache WHERE image_id = ?").run(id);
    this.database.query("DELETE FROM repo_digests WHERE image_id = ?").run(id);
  }

  /** `repository@digest` names image `id` in a registry (a digest names one image: the last one recorded wins). */
  putRepoDigest(repository: string, digest: Digest, id: Digest): void {
    this.database.query("INSERT OR REPLACE INTO repo_digests (repository, digest, image_id) VALUES (?, ?, ?)").run(repository, digest, id);
  }

  /** The image a registry digest (recorded by a pull or push) names, in whatever repository. */
  imageOfRepoDigest(digest: Digest): Digest | undefined {
    return (this.database.query("SELECT image_id FROM repo_digests WHERE digest = ? LIMIT 1").get(digest) as { image_id: Digest } | null)?.image_id;
  }

  /** `repository@digest` of every registry digest recorded for image `id`, sorted. */
  repoDigests(id: Digest): string[] {
    const rows = this.database.query("SELECT repository, digest FROM repo_digests WHERE image_id = ? ORDER BY repository, digest").all(id) as { repository: string; digest: Digest }[];
    return rows.map((r) => `${r.repository}@${r.digest}`);
  }

  putLayerSize(diffId: Digest, size: number): void {
    this.database.query("INSERT OR REPLACE INTO layers (diff_id, size) VALUES (?, ?)").run(diffId, size);
  }

  layerSize(diffId: Digest): number | undefined {
    return (this.database.query("SELECT size FROM layers WHERE diff_id = ?").get(diffId) as { size: number } | null)?.size;
  }

  putSnapshot(chainId: Digest, size: number): void {
    this.database.query("INSERT OR REPLACE INTO snapshots (chain_id, size, created) VALUES (?, ?, ?)").run(chainId, size, Date.now());
  }

  snapshotSize(chainId: Digest): number | undefined {
    return (this.database.query("SELECT size FROM snapshots WHERE chain_id = ?").get(chainId) as { size: number } | null)?.size;
  }

  deleteSnapshot(chainId: Digest): void {
    this.database.query("DELETE FROM snapshots WHERE chain_id = ?").run(chainId);
  }

  cacheGet(key: string): Digest | undefined {
    return (this.database.query("SELECT image_id FROM build_cache WHERE key = ?").get(key) as { image_id: Digest } | null)?.image_id;
  }

  cachePut(key: string, imageId: Digest): void {
    this.database.query("INSERT OR REPLACE INTO build_cache (key, image_id, created) VALUES (?, ?, ?)").run(key, imageId, Date.now());
  }

  /** Image ids the build cache keeps alive. */
  cachedImageIds(): Set<Digest> {
    return new Set((this.database.query("SELECT DISTINCT image_id FROM build_cache").all() as { image_id: Digest }[]).map((r) => r.image_id));
  }

  /** Drop the whole build cache; returns how many entries there were. */
  clearCache(): number {
    return this.database.query("DELETE FROM build_cache").run().changes;
  }

  meta(key: string): string | undefined {
    return (this.database.query("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | null)?.value;
  }

  putMeta(key: string, value: string): void {
    this.database.query("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)").run(key, value);
  }

  /** Run `fn` in one transaction (all or nothing, even across a crash). */
  transaction<T>(fn: () => T): T {
    return this.database.transaction(fn)();
  }
}
