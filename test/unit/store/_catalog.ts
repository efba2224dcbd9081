// A store's image catalog without snapshots (no layer codec needed): the
// pieces Store wires together, over a temp dir.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { MEDIA_TYPE_OCI_LAYER_GZIP, type Digest, type ImageConfig } from "../../../src/image/index.ts";
import { BlobStore } from "../../../src/store/blobs.ts";
import { MetaDb } from "../../../src/store/db.ts";
import { ImageCatalog } from "../../../src/store/images.ts";
import { Layout } from "../../../src/store/layout.ts";
import { FileLock } from "../../../src/store/lock.ts";
import { ImageRemover, type ImageUsers } from "../../../src/store/remove.ts";
import { sha256 } from "../../../src/util/digest.ts";
import { tempDir, type TempDir } from "../../harness.ts";

export interface TestCatalog extends Disposable {
  dir: TempDir;
  blobs: BlobStore;
  layout: Layout;
  db: MetaDb;
  images: ImageCatalog;
  /** `users`: the containers of each image, as the CLI hands them over. */
  rmi(name: string, force?: boolean, users?: ImageUsers): Promise<string[]>;
  /** Commit an image with one made-up layer; `seed` makes the config unique. */
  make(seed: string, opts?: { tags?: string[]; parent?: Digest; created?: string }): Promise<Digest>;
}

export function testCatalog(): TestCatalog {
  const dir = tempDir("catalog");
  mkdirSync(dir.join("tmp"));
  mkdirSync(dir.join("locks"));
  const blobs = new BlobStore(dir.path, dir.join("tmp"));
  const layout = new Layout(dir.path);
  layout.init();
  const db = new MetaDb(dir.join("kiln.db"));
  const lock = () => FileLock.acquire(join(dir.path, "locks/index.lock"), "exclusive");
  const images = new ImageCatalog(blobs, layout, db, lock);
  return {
    dir,
    blobs,
    layout,
    db,
    images,
    rmi: (name, force = false, users) => new ImageRemover(images, layout, db, lock, users).remove(name, force),
    async make(seed, opts = {}) {
      const layer = await blobs.put(`layer ${seed}`);
      const diffId = sha256(`diff ${seed}`);
      const config: ImageConfig = {
        created: opts.created ?? "2024-01-01T00:00:00Z",
        architecture: "amd64",
        os: "linux",
        config: { Cmd: ["/bin/sh", "-c", `echo ${seed}`] },
        rootfs: { type: "layers", diff_ids: [diffId] },
      };
      const rec = await images.commit({
        config,
        layers: [{ descriptor: { mediaType: MEDIA_TYPE_OCI_LAYER_GZIP, ...layer }, diffId, size: 1000 }],
        tags: opts.tags,
        parent: opts.parent,
      });
      return rec.id;
    },
    [Symbol.dispose]() {
      db.close();
      dir[Symbol.dispose]();
    },
  };
}
