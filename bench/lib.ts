// Small helpers shared by the benchmarks. Every figure a benchmark reports is
// a ratio against a reference measured in the same run on the same machine.

/** Median of a list of numbers. */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Run `fn` `runs` times (after `warmup` unmeasured runs) and return the wall times in ms. */
export async function timeRuns(fn: () => unknown | Promise<unknown>, runs: number, warmup = 0): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await fn();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  return times;
}

/** Run argv to completion (output discarded unless it fails) and return wall ms. */
export async function timeCommand(argv: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<number> {
  const t0 = performance.now();
  const p = Bun.spawn(argv, { env: opts.env, cwd: opts.cwd, stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  const ms = performance.now() - t0;
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}\n${out}\n${err}`);
  return ms;
}

export interface Row {
  name: string;
  [column: string]: string | number;
}

/** Print rows as an aligned table on stdout. */
export function printTable(title: string, rows: Row[]): void {
  if (rows.length === 0) return;
  const cols = Object.keys(rows[0]!);
  const fmt = (v: string | number) => (typeof v === "number" ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : v);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => fmt(r[c] ?? "").length)));
  console.log(`\n## ${title}`);
  console.log(cols.map((c, i) => c.padEnd(widths[i]!)).join("  "));
  for (const r of rows) console.log(cols.map((c, i) => fmt(r[c] ?? "").padEnd(widths[i]!)).join("  "));
}
