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
  /** Latest steps per parent, newest first: a miss reads them once for explainMiss and COPY's latest. */
  private readonly recent = new Map<string, { key: string; inputs: StepInputs }[]>();

  constructor(private readonly db: BuildDb) {}

  record(key: string, inputs: StepInputs): void {
    this.db.get()?.query("INSERT OR REPLACE INTO steps (key, parent, inputs, at) VALUES (?, ?, ?, ?)").run(key, inputs.parent, JSON.stringify(inputs), Date.now());
    this.recent.delete(inputs.parent);
  }

  /** The last 20 steps committed on `parent`, newest first (read once until a step on it is recorded). */
  private latestOn(parent: string): { key: string; inputs: StepInputs }[] {
    let steps = this.recent.get(parent);
    if (!steps) {
      const rows = (this.db.get()?.query("SELECT key, inputs FROM steps WHERE parent = ? ORDER BY at DESC LIMIT 20").all(parent) ?? []) as { key: string; inputs: string }[];
      steps = rows.map((r) => ({ key: r.key, inputs: JSON.parse(r.inputs) as StepInputs }));
      this.recent.set(parent, steps);
    }
    return steps;
  }

  /**
   * The latest step committed on `parent` whose command `like` accepts, with
   * its key and inputs. For COPY's reuse of unchanged files (step-copy-reuse.ts).
   */
  latest(parent: string, like: (command: string) => boolean): { key: string; inputs: StepInputs } | undefined {
    return this.latestOn(parent).find((s) => like(s.inputs.command));
  }

  /** Why `inputs` missed: compared with the latest step built on the same parent. */
  explainMiss(inputs: StepInputs): string {
    if (!this.db.get()) return "no build cache";
    const earlier = this.latestOn(inputs.parent).map((s) => s.inputs);
    if (earlier.length === 0) return `nothing was built on ${inputs.parent.replace(/^sha256:/, "").slice(0, 12)} before`;
    // Prefer the earlier step of the same kind (same first word of the command after the shell).
    const word = (c: string) => c.replace(/^\|\d+( \S+=\S*)* /, "").split("#(nop) ")[1]?.trim().split(" ")[0] ?? "RUN";
    const same = earlier.find((e) => word(e.command) === word(inputs.command)) ?? earlier[0]!;
    return explainDifference(same, inputs);
  }
}
