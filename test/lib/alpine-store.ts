// Shared by the store, image-command and interop tests: the Alpine
// minirootfs from SHARED/images, a kiln run that must succeed, and a store
// seeded with Alpine.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { importRootfs, Store, type ImageRecord } from "../../src/store/index.ts";
import { runKiln, SHARED, skipReason } from "../harness.ts";

export const ALPINE = SHARED ? join(SHARED, "images/alpine-minirootfs-3.20.3-x86_64.tar.gz") : "";
/** True (with the reason printed once) when the minirootfs is not at hand. */
export const noAlpine = skipReason(!ALPINE || !existsSync(ALPINE), "the Alpine minirootfs is not in SHARED/images");

/** Run the compiled kiln on a private store; throw with its stderr unless it exits 0. Returns stdout. */
export async function kilnOk(args: string[], root: string, stdin?: Uint8Array): Promise<string> {
  const r = await runKiln(args, { root, stdin });
  if (r.exitCode !== 0) throw new Error(`kiln ${args.join(" ")} failed (${r.exitCode}): ${r.stderr}`);
  return r.stdout;
}

/** Import the minirootfs into an open store. */
export function importAlpine(store: Store, tags: string[] = [], opts: { created?: Date } = {}): Promise<ImageRecord> {
  return importRootfs(store, Bun.file(ALPINE).stream(), { tags, ...opts });
}

/** Create the store at `root` with Alpine imported under `tags`, and close it again. */
export async function seedAlpine(root: string, tags: string[]): Promise<ImageRecord> {
  using store = await Store.open({ root });
  return await importAlpine(store, tags); // awaited before `store` is disposed
}
