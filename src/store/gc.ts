import { readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { errnoCode } from "../errors.ts";
import { chainIds, digestHex, type Digest } from "../image/index.ts";
import { snapshotsInUse } from "./in-use.ts";
import type { FileLock } from "./lock.ts";
import type { Store } from "./store.ts";
import { removeTree, treeSize } from "./tree.ts";

export interface PruneOptions {
  /** Also drop the build cache (and so the intermediate images only it kept). */
  all?: boolean;
  /** Called once if other kiln processes hold the store and prune has to wait. */
  onWait?: () => void;
  timeoutMs?: number;
  /**
   * Images containers were created from: kept, tagged or not, with their
   * parents (`kiln rm` first). Asked once the store is ours, so that a
   * container created while prune waited counts.
   */
  keepImages?: () => Iterable<Digest>;
}

export interface PruneReport {
  deletedImages: Digest[];
  cacheEntries: number;
  blobs: number;
  snapshots: number;
  tempEntries: number;
  /** Bytes freed on disk. */
  reclaimed: number;
  /** Paths that could not be removed (files of other uids outside kiln's user namespace), with the errno. */
  failures: string[];
}

/** What is reachable from some manifests: blob digests, and the chain ids of their images' layers. */
export interface Marked {
  blobs: Set<Digest>;
  chainIds: Set<Digest>;
}

type JsonReader = (d: Digest) => unknown;

/**
 * Mark phase: walk indexes → manifests → config and layers. Reads are not
 * verified: a damaged manifest keeps what can still be read of it, and an
 * unreadable one keeps at least itself — marking errs on the side of keeping.
 */
export function markReachable(roots: Iterable<Digest>, readJson: JsonReader): Marked {
  const marked: Marked = { blobs: new Set(), chainIds: new Set() };
  const visit = (d: Digest): void => {
    if (marked.blobs.has(d)) return;
    marked.blobs.add(d);
    const doc = readJson(d) as { manifests?: { digest: Digest }[]; config?: { digest: Digest }; layers?: { digest: Digest }[] } | undefined;
    if (!doc) return;
    if (Array.isArray(doc.manifests)) for (const m of doc.manifests) visit(m.digest);
    if (!doc.config?.digest) return;
    marked.blobs.add(doc.config.digest);
    for (const l of doc.layers ?? []) marked.blobs.add(l.digest);
    const config = readJson(doc.config.digest) as { rootfs?: { diff_ids?: Digest[] } } | undefined;
    for (const c of chainIds(config?.rootfs?.diff_ids ?? [])) marked.chainIds.add(c);
  };
  for (const r of roots) visit(r);
  return marked;
}

/**
 * Images to delete: untagged images that no tagged image (and, unless `all`,
 * no build-cache entry) is built on. `parents` maps image id → parent id.
 */
export function unreferencedImages(ids: Digest[], keepRoots: Set<Digest>, parents: Map<Digest, Digest | undefined>): Digest[] {
  const keep = new Set<Digest>();
  for (let id of keepRoots) {
    for (let guard = 0; id && !keep.has(id) && guard < 10_000; guard++) {
      keep.add(id);
      id = parents.get(id)!;
    }
  }
  return ids.filter((id) => !keep.has(id));
}

/**
 * kiln prune. Takes the gc lock exclusively (waiting for every other kiln
 * process to close the store), so nothing is in flight: every unreachable
 * blob and snapshot and everything in tmp/ (temp files, half-extracted
 * snapshots of crashed processes) can go.
 */
export async function collectGarbage(store: Store, gcLock: FileLock, opts: PruneOptions): Promise<PruneReport> {
  try {
    await gcLock.relock("exclusive", { onWait: opts.onWait, timeoutMs: opts.timeoutMs });
  } catch (err) {
    // Converting may have dropped our shared lock: take it back before giving up.
    await gcLock.relock("shared");
    throw err;
  }
  try {
    const report: PruneReport = { deletedImages: [], cacheEntries: 0, blobs: 0, snapshots: 0, tempEntries: 0, reclaimed: 0, failures: [] };
    const attempt = (path: string, remove: () => number): boolean => {
      try {
        report.reclaimed += remove();
        return true;
      } catch (err) {
        report.failures.push(`${path}: ${errnoCode(err) ?? (err as Error).message}`);
        return false;
      }
    };
    if (opts.all) report.cacheEntries = store.db.clearCache();

    const rows = store.db.images();
    const tagged = new Set((await store.listImages()).filter((r) => r.names.length > 0).map((r) => r.id));
    const keepRoots = new Set([...tagged, ...store.db.cachedImageIds(), ...(opts.keepImages?.() ?? [])]);
    const parents = new Map(rows.map((r) => [r.id, r.parent ?? undefined] as const));
    for (const id of unreferencedImages(rows.map((r) => r.id), keepRoots, parents)) {
      store.db.deleteImage(id);
      report.deletedImages.push(id);
    }

    const roots = [...store.layout.readIndex().manifests.map((d) => d.digest), ...store.db.images().map((r) => r.manifest)];
    const readJson = (d: Digest): unknown => {
      try {
        return JSON.parse(readFileSync(store.blobs.path(d), "utf8"));
      } catch {
        return undefined;
      }
    };
    const marked = markReachable(roots, readJson);

    for (const d of store.blobs.list()) {
      if (marked.blobs.has(d)) continue;
      report.reclaimed += store.blobs.size(d);
      store.blobs.remove(d);
      report.blobs++;
    }
    // Also every snapshot a running container has mounted, whatever became of its image.
    const keepSnapshots = new Set([...[...marked.chainIds].map(digestHex), ...snapshotsInUse(store.snapshots.dir)]);
    for (const name of store.snapshots.list()) {
      if (keepSnapshots.has(name)) continue;
      if (attempt(join(store.snapshots.dir, name), () => store.snapshots.remove(name))) report.snapshots++;
    }
    const tmp = join(store.root, "tmp");
    const mine = `-${process.pid}-`;
    for (const name of readdirSync(tmp)) {
      if (name.includes(mine)) continue;
      const path = join(tmp, name);
      const removed = attempt(path, () => {
        const size = treeSize(path);
        removeTree(path);
        return size;
      });
      if (removed) report.tempEntries++;
    }
    // Per-snapshot lock files: nobody holds or waits on them while we hold the gc lock.
    const locks = join(store.root, "locks");
    for (const name of readdirSync(locks)) if (name.startsWith("snapshot-")) rmSync(join(locks, name), { force: true });
    return report;
  } finally {
    await gcLock.relock("shared", { timeoutMs: opts.timeoutMs });
  }
}
