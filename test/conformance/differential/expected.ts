// Accepted differences, read from expected-differences.json: every one names
// its case (or a `*` pattern), what differs, and WHY it is accepted. Nothing
// is ignored silently: a difference either matches an entry (the case is
// "explained") or it fails the case; entries that match nothing are reported
// as stale.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { canonical, type Difference, type DiffKind } from "./compare.ts";

export interface Expectation {
  /** Case name, or a pattern with `*` (any characters). */
  case: string;
  /** Which candidate builder it applies to (default: any). */
  candidate?: string;
  /** Which oracle it applies to (default: any): quirks of Buildah as an oracle are not kiln's to copy. */
  oracle?: string;
  kind: DiffKind;
  /** File path / config field / history index, or a pattern with `*` (default: any). */
  path?: string;
  /** Differing property (default: any). */
  field?: string;
  /**
   * Accept the difference only when oracle and candidate values are equal
   * once every match of this regular expression is removed from both
   * (e.g. builder-specific content hashes inside `created_by`).
   */
  ignorePattern?: string;
  reason: string;
}

const FILE = join(import.meta.dir, "expected-differences.json");

/** Load the accepted differences; a missing reason is an error, not a default. */
export function loadExpectations(file = FILE): Expectation[] {
  const data = JSON.parse(readFileSync(file, "utf8")) as { differences: Expectation[] };
  for (const e of data.differences) {
    if (!e.reason?.trim()) throw new Error(`${file}: entry for ${e.case} ${e.kind} ${e.path ?? ""} has no reason`);
  }
  return data.differences;
}

function glob(pattern: string, s: string): boolean {
  const re = new RegExp(`^${pattern.split("*").map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join(".*")}$`);
  return re.test(s);
}

/** Canonical JSON with `re` removed; what is left empty ({} or []) counts as unset, as in pickConfig. */
function stripped(v: unknown, re: RegExp): string {
  const s = canonical(v ?? null).replace(re, "");
  return s === "{}" || s === "[]" ? "null" : s;
}

/** Who built the two sides of a comparison. */
export interface Sides {
  oracle: string;
  candidate: string;
}

/** Does `e` accept difference `d` of case `caseName`? */
export function accepts(e: Expectation, caseName: string, sides: Sides, d: Difference): boolean {
  if (!glob(e.case, caseName) || e.kind !== d.kind) return false;
  if ((e.candidate && e.candidate !== sides.candidate) || (e.oracle && e.oracle !== sides.oracle)) return false;
  if (e.path !== undefined && !glob(e.path, d.path ?? "")) return false;
  if (e.field !== undefined && e.field !== d.field) return false;
  if (e.ignorePattern !== undefined) {
    const re = new RegExp(e.ignorePattern, "g");
    return stripped(d.oracle, re) === stripped(d.candidate, re);
  }
  return true;
}

export interface Classified {
  unexpected: Difference[];
  explained: { difference: Difference; reason: string }[];
  /** Indices (into the expectations) that matched something. */
  used: Set<number>;
}

/** Split a case's differences into explained and unexpected. */
export function classify(expectations: Expectation[], caseName: string, sides: Sides, diffs: Difference[]): Classified {
  const out: Classified = { unexpected: [], explained: [], used: new Set() };
  for (const d of diffs) {
    const i = expectations.findIndex((e) => accepts(e, caseName, sides, d));
    if (i === -1) out.unexpected.push(d);
    else {
      out.used.add(i);
      out.explained.push({ difference: d, reason: expectations[i]!.reason });
    }
  }
  return out;
}
