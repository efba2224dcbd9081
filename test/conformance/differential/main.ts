// `make conformance`: build every case with the oracle (Docker's classic
// builder, or Buildah where Docker lacks the feature) and with kiln, compare
// the images, print cases × verdict, exit 1 on any unexpected difference.
//
//   bun run test/conformance/differential/main.ts [options] [FILTER…]
//     --candidate kiln|docker|buildah   what is compared with the oracle (default kiln);
//                                       docker/buildah rebuild without cache: a self-test
//     --list                            list the cases (and why some are skipped), build nothing
//     --refresh                         rebuild the oracle's images even when cached
//     -v, --verbose                     also print the explained differences and their reasons
//     --show                            print the oracle's snapshot (files, config, history) as JSON
//   FILTER: substrings of case names (any matches).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { REPO, SHARED } from "../../harness.ts";
import { listCases } from "./cases.ts";
import { printReport, type CaseResult } from "./report.ts";
import { openSession, type CandidateName } from "./session.ts";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    candidate: { type: "string", default: "kiln" },
    list: { type: "boolean", default: false },
    refresh: { type: "boolean", default: false },
    verbose: { type: "boolean", short: "v", default: false },
    show: { type: "boolean", default: false },
    help: { type: "boolean", short: "h", default: false },
  },
});
if (values.help) {
  // The usage is the comment at the top of this file.
  const head = readFileSync(import.meta.path, "utf8").split("\n").filter((l) => l.startsWith("//"));
  console.log(head.map((l) => l.replace(/^\/\/ ?/, "")).join("\n"));
  process.exit(0);
}
const candidate = values.candidate as CandidateName;
if (!["kiln", "docker", "buildah"].includes(candidate)) {
  console.error(`--candidate must be kiln, docker or buildah (got ${candidate})`);
  process.exit(2);
}

if (!SHARED) console.error("note: the shared conformance data (../shared) is absent: only kiln's own cases run");
const all = listCases(SHARED, join(REPO, "test/fixtures/conformance"));
const cases = positionals.length ? all.filter((c) => positionals.some((f) => c.name.includes(f))) : all;

if (values.list) {
  for (const c of cases) {
    const why = c.skip ? `skip: ${c.skip}` : [c.oracleReason, c.note].filter(Boolean).join("; ");
    console.log(`${c.name.padEnd(64)} ${c.oracle.padEnd(8)} ${why}`);
  }
  console.log(`${cases.length} cases, ${cases.filter((c) => c.skip).length} skipped`);
  process.exit(0);
}

const session = await openSession({
  candidate,
  shared: SHARED,
  oracles: new Set(cases.filter((c) => !c.skip).map((c) => c.oracle)),
  refresh: values.refresh,
  show: values.show ? (name, snapshot) => console.log(JSON.stringify({ case: name, ...snapshot }, null, 1)) : undefined,
});
if (session.candidateSkip) console.error(`candidate ${candidate} cannot build here: ${session.candidateSkip} (building the oracle side only)`);
for (const [o, why] of Object.entries(session.oracleSkip)) console.error(`oracle ${o} unavailable: ${why}`);

const results: CaseResult[] = [];
try {
  for (const c of cases) {
    const r = await session.run(c);
    results.push(r);
    console.error(`${r.verdict.padEnd(11)} ${c.name}${r.seconds !== undefined ? ` (${r.seconds.toFixed(1)} s)` : ""}`);
  }
} finally {
  await session.close();
}

const totals = printReport(results, { candidate, verbose: values.verbose });
const stale = session.staleExpectations(results.filter((r) => r.verdict !== "skipped" && r.verdict !== "oracle-only").map((r) => r.name));
for (const e of stale) console.log(`stale expectation (matched nothing): ${e.case} ${e.kind} ${e.path ?? ""} ${e.field ?? ""}: ${e.reason}`);
process.exitCode = totals.differs > 0 || totals.error > 0 ? 1 : 0;
