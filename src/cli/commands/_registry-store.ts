import { Database } from "bun:sqlite";
import { join } from "node:path";
import {
  isIndexMediaType,
  MEDIA_TYPE_OCI_MANIFEST,
  parsePlatform,
  selectPlatform,
  type Digest,
  type ImageIndex,
} from "../../image/index.ts";
import type { BlobLocation, ImageSink, ImageSource, PulledImage, PulledRecord } from "../../registry/index.ts";
import type { ImageRecord, Store } from "../../store/index.ts";
import { withCompressedLayers, type CompressedLayers } from "./_compress-on-push.ts";

/**
 * Where blobs were seen in registries (pulled from or pushed to), so that a
 * push can mount a blob from a sibling repository instead of uploading it.
 * A small sqlite file beside the store's own db: the Store has no table for
 * it (yet); it is a hint cache, and losing it only costs uploads.
 */
class BlobLocations {
  private readonly db: Database;
  constructor(root: string) {
    this.db = new Database(join(root, "registry-locations.db"), { create: true });
    this.db.exec("PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 5000;");
    this.db.exec("CREATE TABLE IF NOT EXISTS blob_locations (digest TEXT NOT NULL, registry TEXT NOT NULL, repository TEXT NOT NULL, seen INTEGER NOT NULL, PRIMARY KEY (digest, registry, repository))");
  }
  record(digest: Digest, l: BlobLocation): void {
    this.db.query("INSERT OR REPLACE INTO blob_locations VALUES (?, ?, ?, ?)").run(digest, l.registry, l.repository, Date.now());
  }
  list(digest: Digest): BlobLocation[] {
    return this.db.query("SELECT registry, repository FROM blob_locations WHERE digest = ? ORDER BY seen DESC LIMIT 8").all(digest) as BlobLocation[];
  }
  close(): void {
    this.db.close();
  }
}

/** kiln's Store seen through the registry client's ImageSink (pull) and ImageSource (push) interfaces. */
export class StoreAdapter implements ImageSink, Disposable {
  private readonly locations: BlobLocations;
  /** Shared by every image this adapter sends (a build's push and its cache export). */
  private readonly compressed: CompressedLayers = new Map();
  constructor(readonly store: Store) {
    this.locations = new BlobLocations(store.root);
  }

  hasBlob(d: Digest): boolean {
    return this.store.hasBlob(d);
  }

  async putBlob(data: ReadableStream<Uint8Array> | Uint8Array, expect: { digest: Digest; size: number }): Promise<void> {
    await this.store.putBlob(data, expect);
  }

  async pulled(ref: string, platform: string, remoteDigest: Digest): Promise<PulledRecord | undefined> {
    const image = await this.store.findImage(ref);
    if (!image) return undefined;
    const record = { remoteDigest, manifestDigest: image.manifestDigest, id: image.id };
    if (image.manifestDigest === remoteDigest) return record;
    // Pulled from an index: its bytes are a blob; does it pick this image for the platform?
    if (!this.store.hasBlob(remoteDigest)) return undefined;
    try {
      const index = JSON.parse(new TextDecoder().decode(await this.store.blobs.read(remoteDigest))) as ImageIndex;
      if (!Array.isArray(index.manifests) || (index.mediaType && !isIndexMediaType(index.mediaType))) return undefined;
      return selectPlatform(index, parsePlatform(platform)).digest === image.manifestDigest ? record : undefined;
    } catch {
      return undefined;
    }
  }

  async commitPulled(image: PulledImage): Promise<void> {
    // A pull by digest only leaves an untagged image, as docker does.
    const tags = /@sha256:/.test(image.ref) ? [] : [image.ref];
    await this.store.addManifest(image.manifestDigest, { tags });
  }

  recordBlobLocation(d: Digest, l: BlobLocation): void {
    this.locations.record(d, l);
  }

  recordRepoDigest(ref: string, digest: Digest, id: Digest): void {
    this.store.recordRepoDigest(ref, digest, id);
  }

  /**
   * An ImageSource for a local image: its manifest bytes exactly as stored (so
   * the pushed digest is the local one), once its uncompressed build layers
   * are gzip in the store (_compress-on-push.ts).
   */
  async source(image: ImageRecord): Promise<ImageSource> {
    image = await withCompressedLayers(this.store, image, this.compressed);
    const manifestBytes = await this.store.blobs.read(image.manifestDigest);
    return {
      manifestBytes,
      manifestMediaType: image.manifest.mediaType ?? MEDIA_TYPE_OCI_MANIFEST,
      manifest: image.manifest,
      blob: (d) => Bun.file(this.store.blobPath(d)),
      blobLocations: (d) => this.locations.list(d),
      recordBlobLocation: (d, l) => this.locations.record(d, l),
      recordRepoDigest: (ref, digest) => this.store.recordRepoDigest(ref, digest, image.id),
    };
  }

  [Symbol.dispose](): void {
    this.locations.close();
  }
}

/** "linux/amd64" from a --platform flag (validated), or undefined. */
export function platformFlag(value: unknown): ReturnType<typeof parsePlatform> | undefined {
  return typeof value === "string" && value !== "" ? parsePlatform(value) : undefined;
}

