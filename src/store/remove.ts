import { StoreError } from "../errors.ts";
import { familiarName, parseReference, shortId, type Digest } from "../image/index.ts";
import type { MetaDb } from "./db.ts";
import type { ImageCatalog } from "./images.ts";
import { removeRef, type Layout } from "./layout.ts";
import type { FileLock } from "./lock.ts";
import { imageNotFound } from "./resolve.ts";

const familiar = (ref: string): string => familiarName(parseReference(ref));

function conflict(id: Digest, forceable: boolean, why: string, hint?: string): StoreError {
  return new StoreError("E_IMAGE_IN_USE", `conflict: unable to delete ${shortId(id)} (${forceable ? "must" : "cannot"} be forced) - ${why}`, {
    hint: hint ?? (forceable ? "use -f to remove it anyway" : "remove the images built on it first (kiln images -a shows them)"),
  });
}

/** A container created from an image (the CLI knows them: store may not import sandbox). */
export interface ImageUser {
  container: string;
  running: boolean;
}
/** Image id → the containers created from it. */
export type ImageUsers = ReadonlyMap<Digest, readonly ImageUser[]>;

/** The conflict Docker reports for an image a container uses; only a stopped one's can be forced (to untag). */
function usedBy(id: Digest, user: ImageUser, forceable: boolean): StoreError {
  const c = user.container.slice(0, 12);
  if (user.running) return conflict(id, false, `image is being used by running container ${c}`, `stop and remove the container first: kiln rm -f ${c}`);
  const hint = `remove the container first (kiln rm ${c})${forceable ? ", or use -f to untag the image (it stays while the container needs it)" : ""}`;
  return conflict(id, forceable, `image is being used by stopped container ${c}`, hint);
}

/**
 * `docker rmi`, with the daemon's rules (moby daemon/images/image_delete.go):
 * - named by a tag: untag; if other tags remain, that is all;
 * - named by id: untag it when all its tags are in one repository (or -f);
 * - an image with child images is never deleted ("cannot be forced");
 * - an image a container was created from is not deleted either: its last
 *   tag goes only with -f (then the image stays, untagged, until the
 *   container is removed), and never while a container runs on it by id;
 * - after a delete, untagged parents without other children go too, quietly.
 * Returns Docker's lines: `Untagged: alpine:latest`, `Untagged: alpine@sha256:…`
 * (a registry digest, when the image goes), `Deleted: sha256:…`.
 * Blobs and snapshots are only reclaimed by prune (another process may be using them).
 */
export class ImageRemover {
  private readonly lines: string[] = [];
  private prune = true;

  constructor(
    private readonly catalog: ImageCatalog,
    private readonly layout: Layout,
    private readonly db: MetaDb,
    private readonly lockIndex: () => Promise<FileLock>,
    private readonly users: ImageUsers = new Map(),
  ) {}

  /** A running container of the image first: it is the harder conflict. */
  private userOf(id: Digest): ImageUser | undefined {
    const users = this.users.get(id) ?? [];
    return users.find((u) => u.running) ?? users[0];
  }

  async remove(nameOrId: string, force: boolean, prune = true): Promise<string[]> {
    this.prune = prune;
    const found = await this.catalog.resolve(nameOrId);
    if (!found) {
      throw imageNotFound(nameOrId, "list the images with 'kiln images'");
    }
    const { record, ref } = found;
    let quiet = false;
    if (ref) {
      const user = this.userOf(record.id);
      if (user && !force && record.names.length === 1) {
        throw new StoreError(
          "E_IMAGE_IN_USE",
          `conflict: unable to remove repository reference "${nameOrId}" (must force) - container ${user.container.slice(0, 12)} is using its referenced image ${shortId(record.id)}`,
          { hint: `remove the container first (kiln rm ${user.running ? "-f " : ""}${user.container.slice(0, 12)}), or use -f to untag the image (it stays while the container needs it)` },
        );
      }
      await this.untagAll([ref]);
      if (record.names.length > 1) return this.lines;
      quiet = true;
    } else {
      const repos = new Set(record.names.map((n) => n.replace(/:[^:/]+$/, "")));
      if (repos.size <= 1 || force) {
        if (this.db.children(record.id).length > 0) throw conflict(record.id, false, "image has dependent child images");
        const user = this.userOf(record.id);
        if (user && (user.running || !force)) throw usedBy(record.id, user, true);
        await this.untagAll(record.names);
      }
    }
    await this.deleteImage(record.id, force, quiet);
    return this.lines;
  }

  private async untagAll(refs: string[]): Promise<void> {
    if (refs.length === 0) return;
    using _lock = await this.lockIndex();
    let index = this.layout.readIndex();
    for (const ref of refs) {
      const r = removeRef(index, ref);
      index = r.index;
      if (r.removed) this.lines.push(`Untagged: ${familiar(ref)}`);
    }
    this.layout.writeIndex(index);
  }

  /** Delete one image and then its dangling parents. `quiet`: stop silently at a conflict. */
  private async deleteImage(id: Digest, force: boolean, quiet: boolean): Promise<void> {
    const record = await this.catalog.find(id);
    if (!record) return;
    const children = this.db.children(id);
    const user = this.userOf(id);
    const problem =
      children.length > 0
        ? conflict(id, false, "image has dependent child images")
        : user?.running
          ? usedBy(id, user, false)
          : !force && record.names.length > 0
            ? conflict(id, true, "image is referenced in multiple repositories")
            : user
              ? usedBy(id, user, !force)
              : undefined;
    if (problem) {
      // -f on a stopped container's image: untagging it was all there was to do.
      if (quiet || (user && force && this.lines.length > 0)) return;
      throw problem;
    }
    await this.untagAll(record.names);
    // Its registry digests (pull, push) go with it, each said as docker says it.
    for (const d of this.db.repoDigests(id)) this.lines.push(`Untagged: ${familiar(d)}`);
    this.db.deleteImage(id);
    this.lines.push(`Deleted: ${id}`);
    if (record.parent && this.prune) await this.deleteImage(record.parent, false, true);
  }
}
