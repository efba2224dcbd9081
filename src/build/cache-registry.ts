/**
 * The registry side of a build with `--cache-from` / `--cache-to` (format:
 * registry/build-cache-format.ts, README "Shared build cache"). At the start
 * the cache indexes are fetched, once each; a local cache miss is then looked
 * up in memory (no request per step). A hit yields only an image id: its
 * manifest and config are fetched when a later step needs the record, and
 * its layers only when it must be local (materialize) — a container runs on
 * it, a step commits on it, or it is the final image.
 * The registry module is loaded on first use: builds without these flags
 * never evaluate it.
 */
import { BuildError, KilnError } from "../errors.ts";
import { chainIds, formatPlatform, type Digest, type Platform } from "../image/index.ts";
import type { CacheEntry, CacheExportItem, CacheImage, CacheExportResult, ImageSource, RegistryContext, RegistryOptions, RemoteBuildCache, RepositoryHandle } from "../registry/index.ts";
import type { ImageRecord, Store } from "../store/index.ts";
import type { CacheOption } from "./cache-option.ts";

type Registry = typeof import("../registry/index.ts");

interface CacheLog {
  debug(message: string): void;
  warn(message: string): void;
}

export interface RegistryCacheOptions {
  from: CacheOption[];
  store: Store;
  registry: RegistryOptions;
  /** An ImageSource for a local image (the CLI's store adapter: it knows where blobs were seen, for mounts). */
  imageSource(image: ImageRecord): Promise<ImageSource>;
  log: CacheLog;
}

/** What came from the registry, for the closing summary and the tests. */
export interface CacheStats {
  entries: number;
  hits: number;
  layers: number;
  layerBytes: number;
}

interface Located extends CacheEntry {
  repo: RepositoryHandle;
}

export class RegistryCache {
  readonly stats: CacheStats = { entries: 0, hits: 0, layers: 0, layerBytes: 0 };
  private readonly byKey = new Map<string, Located>();
  private readonly byId = new Map<Digest, Located>();
  private readonly images = new Map<Digest, Promise<CacheImage>>();
  private readonly bases = new Map<string, Promise<ImageRecord>>();
  private readonly indexes: RemoteBuildCache[] = [];

  private constructor(
    private readonly reg: Registry,
    readonly context: RegistryContext,
    private readonly opts: RegistryCacheOptions,
  ) {}

  /**
   * Fetch every --cache-from index (concurrently). A reference that does not
   * exist, an unreachable registry or a document that is no cache is a
   * warning and the build goes on without it, as with Docker and BuildKit;
   * refused credentials are an error, before anything is built.
   */
  static async open(opts: RegistryCacheOptions): Promise<RegistryCache> {
    const reg = await import("../registry/index.ts");
    const cache = new RegistryCache(reg, new reg.RegistryContext(opts.registry), opts);
    const fetched = await Promise.all(
      opts.from.map(async (o) => {
        try {
          const got = await reg.fetchBuildCache(o.ref, cache.context);
          if (!got) opts.log.warn(`build cache ${o.ref} not found: building without it`);
          return got;
        } catch (err) {
          if (err instanceof KilnError && err.code === "E_REGISTRY_AUTH") {
            throw new BuildError(err.code, `importing the build cache from ${o.ref}: ${err.message}`, { hint: err.hint, cause: err });
          }
          opts.log.warn(`importing the build cache from ${o.ref} failed: ${(err as Error).message}; building without it`);
          return undefined;
        }
      }),
    );
    // The first --cache-from that has a key wins.
    for (const idx of fetched) {
      if (!idx) continue;
      cache.indexes.push(idx);
      for (const e of idx.entries) {
        const located = { ...e, repo: idx.repo };
        if (!cache.byKey.has(e.key)) cache.byKey.set(e.key, located);
        if (!cache.byId.has(e.image)) cache.byId.set(e.image, located);
      }
    }
    cache.stats.entries = cache.byKey.size;
    opts.log.debug(`build cache: ${cache.byKey.size} entries from ${cache.indexes.length} of ${opts.from.length} --cache-from`);
    return cache;
  }

  /** Did any --cache-from load? (Only then are base images resolved lazily.) */
  get loaded(): boolean {
    return this.indexes.length > 0;
  }

  /** The image id cached for `key`, from memory. */
  lookup(key: string): Digest | undefined {
    const e = this.byKey.get(key);
    if (e) this.stats.hits++;
    return e?.image;
  }

  /** The entry and repository of a cached image (for --cache-to of images that were never downloaded). */
  entryOf(id: Digest): { entry: CacheEntry; repo: RepositoryHandle } | undefined {
    const e = this.byId.get(id);
    return e && { entry: e, repo: e.repo };
  }

  /** The index a --cache-from read at `ref`, if any (an export to the same reference compares with it). */
  index(canonicalRef: string): RemoteBuildCache | undefined {
    return this.indexes.find((i) => i.ref === canonicalRef);
  }

  /** A cached image's manifest and config, fetched once. */
  private image(id: Digest): Promise<CacheImage> {
    let p = this.images.get(id);
    if (!p) {
      const e = this.byId.get(id);
      if (!e) return Promise.reject(new BuildError("E_INTERNAL", `image ${id} is not in the build cache`));
      p = this.reg.fetchCacheImage(e.repo, e);
      this.images.set(id, p);
      p.catch(() => this.images.get(id) === p && this.images.delete(id));
    }
    return p;
  }

  /** A record of a cached image built from its manifest and config, without its layers. */
  async record(id: Digest): Promise<ImageRecord> {
    const img = await this.image(id);
    const e = this.byId.get(id)!;
    return virtualRecord(id, img.manifest, e.manifest.digest, img.config, e.parent);
  }

  /** A base image resolved in its registry (manifest and config only, once per build), for FROM before anything needs its layers. */
  resolveBase(ref: string, platform: Platform): Promise<ImageRecord> {
    const key = `${ref}|${formatPlatform(platform)}`;
    let p = this.bases.get(key);
    if (!p) {
      p = this.reg.inspectRemote(ref, { context: this.context, platform }).then((r) => virtualRecord(r.manifest.config.digest, r.manifest, r.manifestDigest, r.config, undefined));
      this.bases.set(key, p);
    }
    return p;
  }

  /**
   * Download what a cached image lacks locally (layers, config, manifest)
   * and register it in the store as an (untagged) image with its parent.
   */
  async materialize(id: Digest): Promise<ImageRecord> {
    const { store } = this.opts;
    const e = this.byId.get(id)!;
    const img = await this.image(id);
    const missing = img.manifest.layers.filter((l) => !store.hasBlob(l.digest));
    this.opts.log.debug(`build cache: fetching ${missing.length} of ${img.manifest.layers.length} layers of ${id.slice(7, 19)} from ${e.repo.registry}/${e.repo.repository}`);
    await this.reg.mapLimit(missing, 3, async (l) => {
      await store.putBlob(this.reg.downloadBlob(e.repo.transport, e.repo.repository, l), { digest: l.digest, size: l.size });
      this.stats.layers++;
      this.stats.layerBytes += l.size;
    });
    if (!store.hasBlob(id)) await store.putBlob(img.configBytes, { digest: id, size: img.configBytes.byteLength });
    if (!store.hasBlob(e.manifest.digest)) await store.putBlob(img.manifestBytes, { digest: e.manifest.digest, size: img.manifestBytes.byteLength });
    return store.addManifest(e.manifest.digest, e.parent ? { parent: e.parent } : {});
  }

  /** Push `items` and the index to one --cache-to reference. */
  async export(ref: string, items: CacheExportItem[]): Promise<CacheExportResult> {
    const { canonical } = this.reg.cacheRepository(ref, this.context);
    return this.reg.pushBuildCache(ref, items, {
      context: this.context,
      previous: this.index(canonical),
      logger: this.opts.log,
      localBlob: async (from, desc) => {
        if (!this.opts.store.hasBlob(desc.digest)) await this.opts.store.putBlob(this.reg.downloadBlob(from.transport, from.repository, desc), { digest: desc.digest, size: desc.size });
        return Bun.file(this.opts.store.blobPath(desc.digest));
      },
    });
  }
}

/** An ImageRecord for an image whose layers may not be in the store (yet). */
function virtualRecord(id: Digest, manifest: ImageRecord["manifest"], manifestDigest: Digest, config: ImageRecord["config"], parent: Digest | undefined): ImageRecord {
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new BuildError("E_REGISTRY", `image ${id.slice(7, 19)} (${formatPlatform(config)}) has ${manifest.layers.length} layers but ${diffIds.length} diff ids`);
  }
  return {
    id,
    config,
    manifest,
    manifestDigest,
    names: [],
    diffIds,
    chainIds: chainIds(diffIds),
    size: manifest.layers.reduce((s, l) => s + l.size, 0),
    ...(parent ? { parent } : {}),
  };
}
