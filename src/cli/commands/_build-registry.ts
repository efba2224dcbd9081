// The registry as a build sees it, made on first use: most builds never touch
// one, and the registry client costs start-up time (scripts/lint.ts).
import { formatPlatform, type Platform } from "../../image/index.ts";
import type { RegistryOptions } from "../../registry/index.ts";
import type { Store } from "../../store/index.ts";
import { logger } from "../logger.ts";
import type { RegistryStore } from "./_build-publish.ts";

/** The store as the registry client sees it, made on first use (most builds never touch a registry). */
export function lazyRegistryStore(store: Store): RegistryStore & Disposable {
  let made: Promise<import("./_registry-store.ts").StoreAdapter> | undefined;
  let adapter: import("./_registry-store.ts").StoreAdapter | undefined;
  return {
    store,
    adapter: () => (made ??= import("./_registry-store.ts").then(({ StoreAdapter }) => (adapter = new StoreAdapter(store)))),
    [Symbol.dispose]: () => adapter?.[Symbol.dispose](),
  };
}

const pulls = new Map<string, ReturnType<typeof pullOnce>>();

/**
 * FROM an image that is not in the store: pull it like `kiln pull` (lazily
 * loaded: most builds never pull), once per build even when parallel stages
 * start FROM the same image.
 */
export function pullForBuild(rs: RegistryStore, ref: string, platform: Platform, opts: RegistryOptions) {
  const key = `${ref}|${formatPlatform(platform)}`;
  let p = pulls.get(key);
  if (!p) pulls.set(key, (p = pullOnce(rs, ref, platform, opts)));
  return p;
}

async function pullOnce(rs: RegistryStore, ref: string, platform: Platform, opts: RegistryOptions) {
  const { pullImage } = await import("../../registry/index.ts");
  logger.info(`pulling ${ref} (${formatPlatform(platform)})`);
  const r = await pullImage(ref, await rs.adapter(), { ...opts, platform });
  return rs.store.getImage(r.id);
}
