// The differential run's output: one row per case with its verdict, the
// differences under each case that has some, and the totals.
import { printTable } from "../../../bench/lib.ts";
import { formatDifference, type Difference } from "./compare.ts";

export type Verdict = "identical" | "explained" | "differs" | "skipped" | "oracle-only" | "error";

export interface CaseResult {
  name: string;
  oracle: string;
  verdict: Verdict;
  /** Skip reason, error text, or a short note ("oracle cached"). */
  note?: string;
  unexpected?: Difference[];
  explained?: { difference: Difference; reason: string }[];
  seconds?: number;
}

const MAX_LINES = 25;

/** Print the table, the details and the totals; returns the totals. */
export function printReport(results: CaseResult[], opts: { candidate: string; verbose?: boolean }): Record<Verdict, number> {
  printTable(`differential conformance: ${opts.candidate} against its oracle`, results.map((r) => ({
    name: r.name,
    oracle: r.oracle,
    verdict: r.verdict,
    diffs: r.unexpected?.length ? `${r.unexpected.length} unexpected` : r.explained?.length ? `${r.explained.length} explained` : "",
    seconds: r.seconds ?? "",
    note: (r.note ?? "").split("\n")[0]!.slice(0, 100),
  })));
  for (const r of results) {
    const lines: string[] = [];
    for (const d of r.unexpected ?? []) lines.push(`  ✗ ${formatDifference(d)}`);
    if (opts.verbose) for (const e of r.explained ?? []) lines.push(`  ✓ ${formatDifference(e.difference)} — ${e.reason}`);
    if (r.verdict === "error" && r.note) lines.push(...r.note.split("\n").map((l) => `  ! ${l}`));
    if (lines.length === 0) continue;
    console.log(`\n${r.name} (${r.verdict}):`);
    for (const l of lines.slice(0, MAX_LINES)) console.log(l);
    if (lines.length > MAX_LINES) console.log(`  … and ${lines.length - MAX_LINES} more`);
  }
  const totals = { identical: 0, explained: 0, differs: 0, skipped: 0, "oracle-only": 0, error: 0 } satisfies Record<Verdict, number>;
  for (const r of results) totals[r.verdict]++;
  console.log(`\n${results.length} cases: ${Object.entries(totals).filter(([, n]) => n > 0).map(([v, n]) => `${n} ${v}`).join(", ")}`);
  return totals;
}
