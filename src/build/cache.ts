/**
 * Build cache keys (P8): a step's key is made of its parent image id, the
 * command as Docker's classic builder records it (the `|N K=V` build-arg
 * prefix and, for COPY/ADD, the content hash of every source are part of it),
 * the runtime config it runs with, and step options that change its result
 * (network, mounts, --chmod, the image a --from reads). Never paths' mtimes.
 * The store maps key → image id; this file also keeps each committed step's
 * inputs so that a miss can say which input differs from the last build.
 */
import { sha256 } from "../util/digest.ts";
import type { ContainerConfig } from "../image/index.ts";
import type { BuildDb } from "./build-db.ts";

const KEY_VERSION = "kiln-build-cache-v1";

export interface StepInputs {
  /** Parent image id, or `scratch:<os>/<arch>` for a first step on scratch. */
  parent: string;
  /** The history `created_by` without timestamps: `|1 A=b /bin/sh -c make`, `/bin/sh -c #(nop) COPY file:… in /x `. */
  command: string;
  config: ContainerConfig;
  /** Options that change the result and are not in the command. */
  extra?: Record<string, string>;
  /** COPY/ADD from the context: source path → content hash, only to explain misses (the command holds their digest). */
  sources?: Record<string, string>;
}

/** Sort object keys recursively, so that equal configs serialise equally. */
function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.keys(v).sort().map((k) => [k, canonical((v as Record<string, unknown>)[k])]));
  }
  return v;
}

/** The cache key of a step. */
export function cacheKey(i: StepInputs): string {
  return sha256(JSON.stringify([KEY_VERSION, i.parent, i.command, canonical(i.config), canonical(i.extra ?? {})]));
}

function firstDifference(a: Record<string, unknown>, b: Record<string, unknown>, what: string): string | undefined {
  for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = JSON.stringify(canonical(a[k]));
    const y = JSON.stringify(canonical(b[k]));
    if (x !== y) return `${what} ${k} changed: ${x ?? "(unset)"} → ${y ?? "(unset)"}`;
  }
  return undefined;
}

/** Name the first input that differs between an earlier step and this one. */
export function explainDifference(before: StepInputs, now: StepInputs): string {
  if (before.sources && now.sources && before.command !== now.command) {
    for (const [path, hash] of Object.entries(now.sources)) {
      if (!(path in before.sources)) return `source ${path} is new`;
      if (before.sources[path] !== hash) return `source ${path} changed`;
    }
    for (const path of Object.keys(before.sources)) if (!(path in now.sources)) return `source ${path} is gone`;
  }
  if (before.command !== now.command) return `command changed: ${JSON.stringify(before.command)} → ${JSON.stringify(now.command)}`;
  return (
    firstDifference(before.config as Record<string, unknown>, now.config as Record<string, unknown>, "config") ??
    firstDifference(before.extra ?? {}, now.extra ?? {}, "option") ??
    "same inputs as an earlier step whose image is gone"
  );
}

/** The record of committed steps' inputs, for explanations. */
export class StepLog {
  constructor(private readonly db: BuildDb) {}

  record(key: string, inputs: StepInputs): void {
    this.db.get()?.query("INSERT OR REPLACE INTO steps (key, parent, inputs, at) VALUES (?, ?, ?, ?)").run(key, inputs.parent, JSON.stringify(inputs), Date.now());
  }

  /**
   * The latest step committed on `parent` whose command `like` accepts, with
   * its key and inputs (the commands are read first: inputs of a COPY of a
   * large tree are large). For COPY's reuse of unchanged files (step-copy-reuse.ts).
   */
  latest(parent: string, like: (command: string) => boolean): { key: string; inputs: StepInputs } | undefined {
    const db = this.db.get();
    const rows = (db?.query("SELECT key, json_extract(inputs, '$.command') AS command FROM steps WHERE parent = ? ORDER BY at DESC LIMIT 20").all(parent) ?? []) as { key: string; command: string }[];
    const hit = rows.find((r) => like(r.command));
    const row = hit && (db!.query("SELECT inputs FROM steps WHERE key = ?").get(hit.key) as { inputs: string } | null);
    return row ? { key: hit.key, inputs: JSON.parse(row.inputs) as StepInputs } : undefined;
  }

  /** Why `inputs` missed: compared with the latest step built on the same parent. */
  explainMiss(inputs: StepInputs): string {
    const db = this.db.get();
    if (!db) return "no build cache";
    const rows = db.query("SELECT inputs FROM steps WHERE parent = ? ORDER BY at DESC LIMIT 20").all(inputs.parent) as { inputs: string }[];
    if (rows.length === 0) return `nothing was built on ${inputs.parent.replace(/^sha256:/, "").slice(0, 12)} before`;
    const earlier = rows.map((r) => JSON.parse(r.inputs) as StepInputs);
    // Prefer the earlier step of the same kind (same first word of the command after the shell).
    const word = (c: string) => c.replace(/^\|\d+( \S+=\S*)* /, "").split("#(nop) ")[1]?.trim().split(" ")[0] ?? "RUN";
    const same = earlier.find((e) => word(e.command) === word(inputs.command)) ?? earlier[0]!;
    return explainDifference(same, inputs);
  }
}
