import { writeSync } from "node:fs";
import { KilnError, RegistryError } from "../../errors.ts";
import type { CacheExecutor, CacheOption, RegistryCache } from "../../build/index.ts";
import { familiarName, parseReference, repositoryName, type Digest } from "../../image/index.ts";
import type { RegistryOptions } from "../../registry/index.ts";
import type { Store } from "../../store/index.ts";
import { logger } from "../logger.ts";
import type { StoreAdapter } from "./_registry-store.ts";
import { humanSize } from "./_format.ts";
import { printOut } from "./_shared.ts";

/** The store and its registry adapter (made on first use). */
export interface RegistryStore {
  store: Store;
  adapter(): Promise<StoreAdapter>;
}

export interface PublishRequest {
  id: Digest;
  /** --push: every -t name (empty: no push). */
  tags: string[];
  cacheTo: CacheOption[];
  cache?: RegistryCache;
  cached?: CacheExecutor;
  store: RegistryStore;
  registry: RegistryOptions;
  quiet: boolean;
}

/** An error of a push or export after the build: the image is there, say so and what to do. */
function afterBuild(err: unknown, what: string, id: Digest, next: string): RegistryError {
  const e = err instanceof KilnError ? err : undefined;
  return new RegistryError(e?.code ?? "E_REGISTRY", `${what} failed: ${(err as Error)?.message ?? String(err)}`, {
    hint: `the image ${id.slice(7, 19)} was built; ${e?.hint ? `${e.hint}, then ` : ""}${next}`,
    cause: err,
  });
}

/**
 * After a successful build: `--push` every tag (output as `kiln push` prints
 * it), then `--cache-to` every cache reference. A failure is an error after
 * the build (the image stays built and tagged), except for a cache reference
 * with ignore-error=true, which only warns. All targets are tried; the
 * first failure is thrown.
 */
export async function publishBuild(req: PublishRequest): Promise<void> {
  if (req.tags.length === 0 && req.cacheTo.length === 0) return;
  const reg = await import("../../registry/index.ts");
  const context = req.cache?.context ?? new reg.RegistryContext(req.registry);
  const failures: RegistryError[] = [];
  if (req.tags.length > 0) {
    const { transferProgress } = await import("./_transfer-progress.ts");
    const adapter = await req.store.adapter();
    const source = await adapter.source(await req.store.store.getImage(req.id));
    for (const tag of req.tags) {
      const ref = parseReference(tag);
      if (!req.quiet) writeSync(2, `The push refers to repository [${repositoryName(ref)}]\n`);
      const progress = req.quiet ? undefined : transferProgress();
      try {
        const r = await reg.pushImage(source, ref, { ...req.registry, context, progress });
        progress?.finish();
        if (!req.quiet) printOut(`${r.tag ?? ref.digest}: digest: ${r.digest} size: ${r.size}\n`);
      } catch (err) {
        progress?.finish();
        failures.push(afterBuild(err, `pushing ${familiarName(ref)}`, req.id, `push it with kiln push ${familiarName(ref)}`));
      }
    }
  }
  if (req.cacheTo.length > 0 && req.cache && req.cached) {
    const adapter = await req.store.adapter();
    const items = await req.cached.exportItems((image) => adapter.source(image));
    for (const to of req.cacheTo) {
      try {
        const r = await req.cache.export(to.ref, items);
        const what = r.unchanged ? "unchanged" : `${r.manifests} new step image${r.manifests === 1 ? "" : "s"}, ${r.uploaded} blob${r.uploaded === 1 ? "" : "s"} uploaded (${humanSize(r.uploadedBytes)}), ${r.mounted} mounted`;
        if (!req.quiet) logger.info(`exported the build cache to ${to.ref}: ${r.entries} steps, ${what}`);
      } catch (err) {
        const e = afterBuild(err, `exporting the build cache to ${to.ref}`, req.id, "build again to export it (the steps come from the local cache)");
        if (to.ignoreError) logger.warn(`${e.message} (ignored: ignore-error=true)`);
        else failures.push(e);
      }
    }
  }
  for (const extra of failures.slice(1)) logger.error(extra.message);
  if (failures[0]) throw failures[0];
}
