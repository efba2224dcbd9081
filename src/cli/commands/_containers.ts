import { join } from "node:path";
import { KilnError } from "../../errors.ts";
import type { Digest } from "../../image/index.ts";
import { ContainerStore, type ContainerRecord } from "../../sandbox/index.ts";
import { resolveStoreRoot, type ImageUser } from "../../store/index.ts";
import { printOut } from "./_shared.ts";

// Shared by the container commands (ps, logs, stop, rm): the container
// records live under the store root, and need no image database.

/** The container records of the store named by --root / KILN_ROOT. */
export function containerStore(): ContainerStore {
  return new ContainerStore(join(resolveStoreRoot(process.env.KILN_ROOT), "containers"));
}

/**
 * Image id → the containers created from it, running or not: rmi and prune
 * must not delete those images (as Docker's daemon keeps them). `storeRoot`
 * is the image store's root, where the container records live too.
 */
export function imageUsers(storeRoot: string): Map<Digest, ImageUser[]> {
  const users = new Map<Digest, ImageUser[]>();
  for (const rec of new ContainerStore(join(storeRoot, "containers")).list()) {
    const id = rec.config.imageId as Digest;
    users.set(id, [...(users.get(id) ?? []), { container: rec.config.id, running: rec.state.status === "running" }]);
  }
  return users;
}

/**
 * Apply `fn` to each named container as docker does: print the name as given
 * when it worked, go on after a failure, and report every failure at the end.
 * `ignore` says which failures do not count (rm -f of a missing container).
 */
export async function forEachContainer(
  command: string,
  names: string[],
  fn: (store: ContainerStore, rec: ContainerRecord) => Promise<void>,
  ignore: (err: unknown) => boolean = () => false,
): Promise<void> {
  if (names.length === 0) throw new KilnError("E_USAGE", `"kiln ${command}" requires at least 1 argument.`, { exitCode: 2 });
  const store = containerStore();
  const failed: string[] = [];
  for (const name of names) {
    try {
      await fn(store, store.find(name));
      printOut(`${name}\n`);
    } catch (err) {
      if (!ignore(err)) failed.push(err instanceof Error ? err.message : String(err));
    }
  }
  if (failed.length > 0) throw new KilnError("E_CONTAINER_NOT_FOUND", failed.join("\n"));
}
