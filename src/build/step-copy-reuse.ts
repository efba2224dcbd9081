/**
 * A COPY of context files whose cache key missed because some sources
 * changed (the copy-tree-after-one-edit case): find the last run of the same
 * COPY on the same parent image — same command apart from the source hashes,
 * same config and options, so the same destination, --chown and --chmod —
 * and name the context files that changed or are new since. The executor
 * hands that run's snapshot to the copy, which hard-links every other file
 * from it when the snapshot's file is exactly what copying would make
 * (layer/copy-reuse.ts says why that is safe and gives the same layer).
 */
import type { CopyRequest } from "./executor.ts";
import { cacheKey, type StepInputs, type StepLog } from "./cache.ts";

/** Docker's source hashes in a COPY's history text (`file:…`, `dir:…`, `multi:…`). */
const SOURCE_HASH = /\b(?:file|dir|multi):[0-9a-f]{64}/g;

/** A step's cache key with its sources' hashes left out. */
function shapeOf(i: StepInputs): string {
  return cacheKey({ ...i, command: i.command.replace(SOURCE_HASH, "*") });
}

/** What an earlier run of this COPY can give (undefined: it never ran with these options, or copied nothing from the context). */
export function findCopyReuse(log: StepLog, now: StepInputs, contextDir: string): CopyRequest["reuse"] | undefined {
  if (!now.sources || Object.keys(now.sources).length === 0) return undefined;
  const shape = shapeOf(now);
  const before = log.latest(now.parent, (command) => command.replace(SOURCE_HASH, "*") === now.command.replace(SOURCE_HASH, "*"));
  if (!before?.inputs.sources || shapeOf(before.inputs) !== shape) return undefined;
  const was = before.inputs.sources;
  const changed = Object.entries(now.sources).filter(([rel, hash]) => was[rel] !== hash).map(([rel]) => (rel === "" ? contextDir : `${contextDir}/${rel}`));
  return { key: before.key, contextDir, changed };
}
