// Compare two snapshots entry by entry: the oracle's (Docker, or Buildah
// where Docker lacks the feature) and the candidate's (kiln). Every
// difference is one record, so that expected ones can be matched exactly.
import type { FsEntry } from "./flatten.ts";
import { CONFIG_FIELDS, type Snapshot } from "./snapshot.ts";

export type DiffKind = "build" | "file" | "config" | "history";

export interface Difference {
  kind: DiffKind;
  /** File path for kind "file"; config field name for "config"; index for "history". */
  path?: string;
  /** Which property differs ("exists", "mode", "sha256", "created_by", …). */
  field: string;
  oracle: unknown;
  candidate: unknown;
}

const FILE_FIELDS: (keyof FsEntry)[] = ["type", "mode", "uid", "gid", "size", "sha256", "linkTarget", "device", "hardlink", "xattrs"];

/** Stable JSON (sorted object keys) so that equal values compare equal. */
export function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v) ?? "undefined";
}

function compareFiles(a: Record<string, FsEntry>, b: Record<string, FsEntry>, out: Difference[]): void {
  const paths = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
  for (const path of paths) {
    const x = a[path];
    const y = b[path];
    if (!x || !y) {
      out.push({ kind: "file", path, field: "exists", oracle: x ? x.type : null, candidate: y ? y.type : null });
      continue;
    }
    for (const f of FILE_FIELDS) {
      if (canonical(x[f]) !== canonical(y[f])) out.push({ kind: "file", path, field: f, oracle: x[f] ?? null, candidate: y[f] ?? null });
    }
  }
}

/** All differences between `oracle` and `candidate` (empty when they agree). */
export function compareSnapshots(oracle: Snapshot, candidate: Snapshot): Difference[] {
  const out: Difference[] = [];
  if (oracle.built !== candidate.built) {
    out.push({ kind: "build", field: "succeeded", oracle: oracle.built ? true : oracle.error, candidate: candidate.built ? true : candidate.error });
    return out;
  }
  if (!oracle.built) {
    // Both refused the Dockerfile: they agree when they stopped at the same line.
    if (oracle.failedAt !== candidate.failedAt) out.push({ kind: "build", field: "failed-at-line", oracle: oracle.failedAt ?? null, candidate: candidate.failedAt ?? null });
    return out;
  }
  compareFiles(oracle.files ?? {}, candidate.files ?? {}, out);
  // A hand-written oracle may leave config and history out: then they are not compared.
  if (oracle.config) for (const f of CONFIG_FIELDS) {
    const x = oracle.config?.[f];
    const y = candidate.config?.[f];
    if (canonical(x) !== canonical(y)) out.push({ kind: "config", path: f, field: f, oracle: x ?? null, candidate: y ?? null });
  }
  if (!oracle.history) return out;
  const ha = oracle.history;
  const hb = candidate.history ?? [];
  if (ha.length !== hb.length) out.push({ kind: "history", field: "length", oracle: ha.length, candidate: hb.length });
  for (let i = 0; i < Math.min(ha.length, hb.length); i++) {
    for (const f of ["created_by", "empty_layer"] as const) {
      if (ha[i]![f] !== hb[i]![f]) out.push({ kind: "history", path: String(i), field: f, oracle: ha[i]![f], candidate: hb[i]![f] });
    }
  }
  return out;
}

/** One line per difference, for reports: `file /etc/x: mode 0644 (oracle) ≠ 0600 (candidate)`. */
export function formatDifference(d: Difference): string {
  const where = d.kind === "build" ? "build" : d.kind === "history" ? `history[${d.path ?? "*"}]` : d.kind === "config" ? "config" : `file ${d.path}`;
  const fmt = (v: unknown) => (d.field === "mode" && typeof v === "number" ? `0${v.toString(8)}` : canonical(v));
  return `${where}: ${d.field} ${fmt(d.oracle)} (oracle) ≠ ${fmt(d.candidate)} (candidate)`;
}
