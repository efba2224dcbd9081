/**
 * An Executor that puts a registry cache behind the local one, wrapped
 * around the real executor by `kiln build --cache-from/--cache-to`; the
 * stage runner is unchanged. A key the local cache lacks is looked up in the
 * loaded indexes, and a hit is just an image id: a " ---> Using cache" with
 * no request. Images that came from the registry are "remote" until a step
 * needs them local — a container over them (run, copy, mkdir, a RUN
 * --mount from them), a commit on them, or a tag — and only then are their
 * missing layers downloaded. With a cache loaded, a FROM image the store
 * lacks is resolved the same way (manifest and config) and pulled only when
 * needed. Every key the build used is remembered for --cache-to.
 */
import { BuildError } from "../errors.ts";
import type { Digest, Platform } from "../image/index.ts";
import type { CacheExportItem, ImageSource } from "../registry/index.ts";
import type { ImageRecord, Store } from "../store/index.ts";
import { sha256 } from "../util/digest.ts";
import type { RegistryCache } from "./cache-registry.ts";
import type { BaseImage, CommitRequest, CopyRequest, CopyResult, Executor, RunRequest, RunResult, StepLayer } from "./executor.ts";

export class CacheExecutor implements Executor {
  readonly pull?: (ref: string, platform: Platform) => Promise<ImageRecord>;
  /** key → image id of every step this build used (hit or built), for --cache-to. */
  private readonly used = new Map<string, Digest>();
  /** Images known only remotely so far: cache hits, and FROM images resolved without pulling. */
  private readonly remote = new Map<Digest, { kind: "cache" } | { kind: "base"; ref: string; platform: Platform; record: ImageRecord }>();
  private readonly local = new Map<Digest, Promise<ImageRecord>>();

  constructor(
    private readonly inner: Executor,
    private readonly cache: RegistryCache,
    private readonly store: Store,
  ) {
    const pull = inner.pull?.bind(inner);
    if (pull) this.pull = (ref, platform) => (cache.loaded ? this.resolveBase(ref, platform) : pull(ref, platform));
  }

  findImage(ref: string): Promise<BaseImage | undefined> {
    return this.inner.findImage(ref);
  }

  async getImage(id: Digest): Promise<ImageRecord> {
    const r = this.remote.get(id);
    if (!r) return this.inner.getImage(id);
    return (await this.store.findImage(id)) ?? (r.kind === "base" ? r.record : this.cache.record(id));
  }

  cacheGet(key: string): Digest | undefined {
    const here = this.inner.cacheGet(key);
    const id = here ?? this.cache.lookup(key);
    if (!id) return undefined;
    this.used.set(key, id);
    if (!here && !this.remote.has(id) && !this.local.has(id)) this.remote.set(id, { kind: "cache" });
    return id;
  }

  cachePut(key: string, id: Digest): void {
    this.inner.cachePut(key, id);
    this.used.set(key, id);
  }

  async run(parent: ImageRecord | undefined, req: RunRequest): Promise<RunResult> {
    return this.inner.run(await this.ensureLocal(parent), req);
  }

  async copy(parent: ImageRecord | undefined, req: CopyRequest): Promise<CopyResult> {
    const [p, from] = await Promise.all([this.ensureLocal(parent), req.from && this.ensureLocal(req.from.image)]);
    return this.inner.copy(p, req.from ? { ...req, from: { ...req.from, image: from! } } : req);
  }

  async exportTree(image: ImageRecord, source: string, into: string): Promise<string> {
    return this.inner.exportTree((await this.ensureLocal(image))!, source, into);
  }

  async mkdir(parent: ImageRecord | undefined, path: string): Promise<StepLayer | undefined> {
    return this.inner.mkdir(await this.ensureLocal(parent), path);
  }

  async commit(req: CommitRequest): Promise<ImageRecord> {
    return this.inner.commit({ ...req, parent: await this.ensureLocal(req.parent) });
  }

  async tag(id: Digest, name: string): Promise<void> {
    await this.materialize(id);
    return this.inner.tag(id, name);
  }

  /** Make sure the build's result is in the store (a build without -t tags nothing, yet `kiln run ID` must work). */
  async finish(id: Digest): Promise<ImageRecord> {
    return this.materialize(id);
  }

  /** What --cache-to exports: every step the build used, from the store or (never downloaded) from its cache. */
  async exportItems(imageSource: (image: ImageRecord) => Promise<ImageSource>): Promise<CacheExportItem[]> {
    const items: CacheExportItem[] = [];
    for (const [key, id] of this.used) {
      // An image that came from a cache is exported by reference (mounted), downloaded or not.
      const remote = this.cache.entryOf(id);
      if (remote) {
        items.push({ entry: { ...remote.entry, key }, remote: remote.repo });
        continue;
      }
      const record = await this.store.findImage(id);
      if (!record) throw new BuildError("E_IMAGE_NOT_FOUND", `step image ${id.slice(7, 19)} of the build cache is not in the store`, { hint: "build again with --no-cache, then export" });
      const source = await imageSource(record);
      // The digest of the bytes that will be pushed (a source may compress layers for the registry and rewrite the manifest).
      const manifest = { mediaType: source.manifestMediaType, digest: sha256(source.manifestBytes), size: source.manifestBytes.byteLength };
      items.push({ entry: { key, image: id, ...(record.parent ? { parent: record.parent } : {}), manifest }, local: source });
    }
    return items;
  }

  private async resolveBase(ref: string, platform: Platform): Promise<ImageRecord> {
    const record = await this.cache.resolveBase(ref, platform);
    const here = await this.store.findImage(record.id);
    if (here) return here;
    if (!this.remote.has(record.id)) this.remote.set(record.id, { kind: "base", ref, platform, record });
    return record;
  }

  private async ensureLocal(image: ImageRecord | undefined): Promise<ImageRecord | undefined> {
    if (!image || !this.remote.has(image.id)) return image;
    return this.materialize(image.id);
  }

  /** Bring a remote image into the store (once), and teach the local cache the keys that named it. */
  private materialize(id: Digest): Promise<ImageRecord> {
    let p = this.local.get(id);
    if (p) return p;
    const r = this.remote.get(id);
    if (!r) return this.inner.getImage(id);
    p = (async () => {
      const here = await this.store.findImage(id);
      if (here) return here;
      if (r.kind === "cache") {
        const rec = await this.cache.materialize(id);
        for (const [key, v] of this.used) if (v === id) this.inner.cachePut(key, id);
        return rec;
      }
      const pulled = await this.inner.pull!(r.ref, r.platform);
      if (pulled.id !== id) {
        throw new BuildError("E_BUILD", `${r.ref} changed in its registry during the build (${id.slice(7, 19)} → ${pulled.id.slice(7, 19)})`, { hint: "build again" });
      }
      return pulled;
    })();
    this.local.set(id, p);
    p.catch(() => this.local.get(id) === p && this.local.delete(id));
    return p;
  }
}
