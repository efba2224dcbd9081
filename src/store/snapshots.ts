import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync } from "node:fs";
import { join } from "node:path";
import { errnoCode, StoreError } from "../errors.ts";
import { digestHex, type Descriptor, type Digest } from "../image/index.ts";
import { applyLayer, decompressStream } from "../layer/index.ts";
import { fsyncDir } from "../util/fs-atomic.ts";
import { overlayXattrNamespace } from "../util/userns.ts";
import { tempName, type BlobStore } from "./blobs.ts";
import type { MetaDb } from "./db.ts";
import type { ImageRecord } from "./images.ts";
import { FileLock } from "./lock.ts";
import { removeTree, treeSize } from "./tree.ts";

/**
 * Layers extracted once, as overlay lower dirs, under `snapshots/<chain-id hex>`.
 * A snapshot is built in tmp/ and renamed into place, so a snapshot dir is
 * complete or absent; a per-chain lock keeps two processes from extracting the
 * same layer twice. Files keep their owners (as root or in kiln's user
 * namespace) and overlay whiteouts use the xattr namespace of this process.
 */
export class Snapshots {
  readonly dir: string;

  constructor(
    root: string,
    private readonly tmp: string,
    private readonly locks: string,
    private readonly blobs: BlobStore,
    private readonly db: MetaDb,
    /** Told what a layer could not reproduce here (device nodes in a user namespace, refused xattrs). */
    private readonly onWarning?: (message: string) => void,
  ) {
    this.dir = join(root, "snapshots");
    mkdirSync(this.dir, { recursive: true });
  }

  path(chainId: Digest): string {
    return join(this.dir, digestHex(chainId));
  }

  has(chainId: Digest): boolean {
    return existsSync(this.path(chainId));
  }

  /** Chain ids that have a snapshot dir. */
  list(): string[] {
    return readdirSync(this.dir);
  }

  private lockFor(chainId: Digest): Promise<FileLock> {
    return FileLock.acquire(join(this.locks, `snapshot-${digestHex(chainId).slice(0, 16)}.lock`), "exclusive");
  }

  /** Lower dirs for `image`, top-most first; missing layers are extracted from their blobs. */
  async prepare(image: ImageRecord): Promise<string[]> {
    for (let i = 0; i < image.chainIds.length; i++) {
      const chainId = image.chainIds[i]!;
      if (this.has(chainId)) continue;
      const layer = image.manifest.layers[i];
      if (!layer) throw new StoreError("E_STORE", `image ${image.id} has fewer layers than diff ids`);
      await this.extract(layer, image.diffIds[i]!, chainId);
    }
    return image.chainIds.map((c) => this.path(c)).reverse();
  }

  private async extract(layer: Descriptor, diffId: Digest, chainId: Digest): Promise<void> {
    using _lock = await this.lockFor(chainId);
    if (this.has(chainId)) return; // another process finished it while we waited
    const tmp = mkdtempSync(join(this.tmp, `${tempName("extract")}-`));
    try {
      chmodSync(tmp, 0o755);
      const applied = await applyLayer(decompressStream(this.blobs.open(layer.digest)), tmp, {
        xattrNamespace: overlayXattrNamespace(),
        preserveOwnership: process.getuid?.() === 0,
        onWarning: this.onWarning,
      });
      if (applied.diffId !== diffId) {
        throw new StoreError("E_BLOB_DIGEST_MISMATCH", `layer ${layer.digest} unpacks to ${applied.diffId}, but the image config says ${diffId}`, {
          hint: "the image is corrupt: remove it (kiln rmi) and pull or load it again",
        });
      }
      renameSync(tmp, this.path(chainId));
      fsyncDir(this.dir);
      this.db.putSnapshot(chainId, applied.size);
      this.db.putLayerSize(diffId, applied.size);
    } catch (err) {
      removeTree(tmp);
      throw await this.blobs.explainReadFailure(err, layer.digest);
    }
  }

  /** Move a container's upper dir into place as the snapshot of `chainId` (no copy). */
  async commitUpper(upperDir: string, chainId: Digest, size?: number): Promise<string> {
    const target = this.path(chainId);
    using _lock = await this.lockFor(chainId);
    if (this.has(chainId)) {
      // The same change was committed before (same parent, same diff): keep the one there.
      removeTree(upperDir);
      return target;
    }
    try {
      renameSync(upperDir, target);
    } catch (err) {
      throw new StoreError("E_STORE", `cannot move ${upperDir} into the store: ${errnoCode(err) ?? err}`, {
        cause: err,
        hint: "the upper dir must be made with Store.tempDir() (same filesystem as the store)",
      });
    }
    fsyncDir(this.dir);
    this.db.putSnapshot(chainId, size ?? treeSize(target));
    return target;
  }

  /** Remove a snapshot dir (prune only: the gc lock is held exclusively). */
  remove(name: string): number {
    const p = join(this.dir, name);
    const size = treeSize(p);
    // Renamed out of snapshots/ first: a removal that fails half-way must not leave a half snapshot under its chain id.
    const doomed = join(this.tmp, tempName(`gone-${name.slice(0, 12)}`));
    renameSync(p, doomed);
    removeTree(doomed);
    if (/^[a-f0-9]{64}$/.test(name)) this.db.deleteSnapshot(`sha256:${name}`);
    return size;
  }
}
