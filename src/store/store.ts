import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { join } from "node:path";
import { errnoCode, StoreError } from "../errors.ts";
import { setTopDirFlag } from "../layer/index.ts";
import { parseReference, repositoryName, type Digest, type ImageConfig } from "../image/index.ts";
import { BlobStore, tempName, type BlobExpectation, type BlobInput } from "./blobs.ts";
import { MetaDb, readMeta } from "./db.ts";
import { collectGarbage, type PruneOptions, type PruneReport } from "./gc.ts";
import { ImageCatalog, type CommitImageInput, type ImageProblemReporter, type ImageRecord } from "./images.ts";
import { INDEX_FILE, Layout, OCI_LAYOUT_FILE } from "./layout.ts";
import { FileLock, type LockOptions } from "./lock.ts";
import { ImageRemover, type ImageUsers } from "./remove.ts";
import { resolveStoreRoot } from "./root.ts";
import { Snapshots } from "./snapshots.ts";

/** Warnings already given by this process (Store.warn). */
const warned = new Set<string>();

/**
 * kiln's local store: an OCI image layout (oci-layout, index.json, blobs/)
 * that skopeo and umoci read directly, plus
 *   snapshots/<chain-id hex>/   layers extracted once, as overlay lower dirs;
 *   kiln.db                     metadata the layout has no place for (db.ts);
 *   tmp/                        temp files and dirs of running kiln processes;
 *   locks/                      flock files.
 * Every open Store holds a shared lock on locks/gc.lock for its lifetime;
 * prune takes it exclusively, so it never sweeps a blob or snapshot another
 * process is about to reference, and anything left in tmp/ then is garbage.
 */
export class Store implements Disposable {
  readonly blobs: BlobStore;
  readonly layout: Layout;
  readonly db: MetaDb;
  readonly images: ImageCatalog;
  readonly snapshots: Snapshots;
  private readonly tmp: string;
  private readonly locks: string;

  private constructor(
    readonly root: string,
    private readonly gcLock: FileLock,
    db: MetaDb,
    private readonly onWarning?: (message: string) => void,
  ) {
    this.tmp = join(root, "tmp");
    this.locks = join(root, "locks");
    this.db = db;
    this.blobs = new BlobStore(root, this.tmp);
    this.layout = new Layout(root);
    this.images = new ImageCatalog(this.blobs, this.layout, db, () => this.lock("index"));
    this.snapshots = new Snapshots(root, this.tmp, this.locks, this.blobs, db, (message) => this.warn(message));
  }

  /**
   * Pass a warning to the opener's onWarning, once per process for each text:
   * every snapshot extracted without sub-ids would otherwise repeat the same advice.
   */
  warn(message: string): void {
    if (warned.has(message)) return;
    warned.add(message);
    this.onWarning?.(message);
  }

  /** Open (creating if needed) the store at opts.root, $KILN_ROOT or the default location. */
  static async open(opts: { root?: string; lock?: LockOptions; onWarning?: (message: string) => void } = {}): Promise<Store> {
    const root = resolveStoreRoot(opts.root);
    try {
      mkdirSync(root, { recursive: true, mode: 0o700 });
      for (const d of ["tmp", "locks", "snapshots", "blobs/sha256"]) mkdirSync(join(root, d), { recursive: true });
    } catch (err) {
      throw new StoreError("E_STORE", `cannot create the store at ${root}: ${errnoCode(err) ?? (err as Error).message}`, {
        cause: err,
        hint: "choose a writable directory with --root DIR or KILN_ROOT",
      });
    }
    const gcLock = await FileLock.acquire(join(root, "locks/gc.lock"), "shared", opts.lock);
    try {
      // The layout files are written once, by whichever process comes first.
      if (!existsSync(join(root, OCI_LAYOUT_FILE)) || !existsSync(join(root, INDEX_FILE))) {
        using _init = await FileLock.acquire(join(root, "locks/index.lock"), "exclusive", { timeoutMs: opts.lock?.timeoutMs });
        new Layout(root).init();
      }
      const db = new MetaDb(join(root, "kiln.db"));
      spreadNewTrees(join(root, "tmp"), db);
      return new Store(root, gcLock, db, opts.onWarning);
    } catch (err) {
      gcLock.release();
      throw err;
    }
  }

  /** A named store-wide lock, held until disposed. */
  lock(name: string, mode: "shared" | "exclusive" = "exclusive"): Promise<FileLock> {
    return FileLock.acquire(join(this.locks, `${name}.lock`), mode);
  }

  putBlob(data: BlobInput, expect?: BlobExpectation): Promise<{ digest: Digest; size: number }> {
    return this.blobs.put(data, expect);
  }
  hasBlob(d: Digest): boolean {
    return this.blobs.has(d);
  }
  blobPath(d: Digest): string {
    return this.blobs.path(d);
  }
  /** A blob's bytes, verified against the digest as they stream (the stream errors at its end otherwise). */
  openBlob(d: Digest): ReadableStream<Uint8Array> {
    return this.blobs.open(d);
  }

  commitImage(input: CommitImageInput): Promise<ImageRecord> {
    return this.images.commit(input);
  }
  /** Register a manifest already written with putBlob (pull, load) as an image. */
  addManifest(digest: Digest, opts?: { tags?: string[]; parent?: Digest }): Promise<ImageRecord> {
    return this.images.addManifest(digest, opts);
  }
  getImage(nameOrId: string): Promise<ImageRecord> {
    return this.images.get(nameOrId);
  }
  findImage(nameOrId: string): Promise<ImageRecord | undefined> {
    return this.images.find(nameOrId);
  }
  /** Only the id and config (a build's FROM): for a tag, one indexed query and one small blob. */
  findImageConfig(nameOrId: string): Promise<{ id: Digest; config: ImageConfig } | undefined> {
    return this.images.findConfig(nameOrId);
  }
  listImages(onProblem?: ImageProblemReporter): Promise<ImageRecord[]> {
    return this.images.list(onProblem);
  }
  tag(nameOrId: string, ref: string): Promise<void> {
    return this.images.tag(nameOrId, ref);
  }
  untag(ref: string): Promise<void> {
    return this.images.untag(ref);
  }
  /** docker rmi: returns the lines Docker prints (Untagged: …, Deleted: sha256:…). `users`: containers of the images. */
  removeImage(nameOrId: string, opts: { force?: boolean; noPrune?: boolean; users?: ImageUsers } = {}): Promise<string[]> {
    const remover = new ImageRemover(this.images, this.layout, this.db, () => this.lock("index"), opts.users);
    return remover.remove(nameOrId, opts.force ?? false, !opts.noPrune);
  }
  /**
   * Remember that `ref`'s repository holds image `id` under the registry's
   * manifest digest `digest` (after a pull or a push): docker's RepoDigests.
   * Kept in kiln.db, so the OCI layout other tools read does not change.
   */
  recordRepoDigest(ref: string, digest: Digest, id: Digest): void {
    this.db.putRepoDigest(repositoryName(parseReference(ref)), digest, id);
  }
  /** Canonical `repository@digest` names image `id` has in registries (empty for an image never pulled or pushed). */
  repoDigests(id: Digest): string[] {
    return this.db.repoDigests(id);
  }
  /** Images built directly on `id` (kiln build records parents). */
  childrenOf(id: Digest): Digest[] {
    return this.db.children(id);
  }

  /** Lower dirs for an image, top-most first, extracting layers that are not yet snapshots. */
  prepareSnapshots(image: ImageRecord): Promise<string[]> {
    return this.snapshots.prepare(image);
  }
  snapshotPath(chainId: Digest): string {
    return this.snapshots.path(chainId);
  }
  hasSnapshot(chainId: Digest): boolean {
    return this.snapshots.has(chainId);
  }
  /** Make a container's upper dir (under tempDir) the snapshot of `chainId`, by rename. */
  commitUpperAsSnapshot(upperDir: string, chainId: Digest, size?: number): Promise<string> {
    return this.snapshots.commitUpper(upperDir, chainId, size);
  }

  /** A new empty dir inside the store (same filesystem as snapshots, so renames work). prune removes leftovers. */
  async tempDir(prefix: string): Promise<string> {
    if (!existsSync(this.tmp)) mkdirSync(this.tmp, { recursive: true });
    return mkdtempSync(join(this.tmp, `${tempName(prefix)}-`));
  }

  cacheGet(key: string): string | undefined {
    return this.db.cacheGet(key);
  }
  cachePut(key: string, imageId: Digest): void {
    this.db.cachePut(key, imageId);
  }

  /** Garbage collection (kiln prune); waits for other kiln processes to close the store. */
  prune(opts: PruneOptions = {}): Promise<PruneReport> {
    return collectGarbage(this, this.gcLock, opts);
  }

  close(): void {
    this.db.close();
    this.gcLock.release();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** kiln.db's record that tmp/ was marked (or could not be): "set" | "unsupported". */
const TMP_TOPDIR_META = "tmp-topdir";

/** What the store at `root` recorded when it marked tmp/ (kiln doctor): "set", "unsupported", or undefined (not opened since). */
export function tmpTopDirRecord(root: string): string | undefined {
  return readMeta(join(root, "kiln.db"), TMP_TOPDIR_META);
}

/**
 * Every container's upper dir and every extraction starts a new tree in tmp/:
 * `chattr +T` on it spreads them over the disk (layer/_sys.ts). Done once per
 * store, new or made by a kiln from before it did this, and recorded in
 * kiln.db, so that later opens cost one indexed read. Best effort: a file
 * system without the flag (xfs, btrfs, tmpfs) changes nothing but where new dirs go.
 */
function spreadNewTrees(dir: string, db: MetaDb): void {
  if (db.meta(TMP_TOPDIR_META) !== undefined) return;
  let set = false;
  try {
    set = setTopDirFlag(dir);
  } catch {
    // no FS_IOC_SETFLAGS here
  }
  db.putMeta(TMP_TOPDIR_META, set ? "set" : "unsupported");
}
