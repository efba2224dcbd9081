// Differential conformance as bun tests: one test per case, kiln's image
// compared with Docker's (classic builder) or the case's other oracle. The
// same machinery as `make conformance` (differential/main.ts), which prints
// the full table. Skips, with the reason printed, when kiln cannot build
// yet, when dockerd cannot run here, or for the cases listed as skipped.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { buildahUnavailable } from "../reference/buildah.ts";
import { dockerdUnavailable } from "../reference/dockerd.ts";
import { openKiln } from "../reference/kiln.ts";
import { REPO, SHARED, skipReason } from "../harness.ts";
import { listCases } from "./differential/cases.ts";
import { formatDifference } from "./differential/compare.ts";
import { printReport, type CaseResult } from "./differential/report.ts";
import { openSession, type Session } from "./differential/session.ts";

const cases = listCases(SHARED, join(REPO, "test/fixtures/conformance"));

// Probe kiln once, up front: until `kiln build` lands every case is skipped.
const kilnSkip = await (async () => {
  const k = await openKiln();
  if ("skip" in k) return k.skip;
  await k.close();
  return undefined;
})();
const hostSkip = dockerdUnavailable();
const blocked = skipReason(kilnSkip !== undefined || hostSkip !== undefined, `differential conformance: ${kilnSkip ?? hostSkip}`);
const buildahSkip = buildahUnavailable();

let session: Promise<Session> | undefined;
const getSession = () =>
  (session ??= openSession({ candidate: "kiln", shared: SHARED, oracles: new Set(cases.filter((c) => !c.skip).map((c) => c.oracle)) }));

// The table of cases × verdict and the totals, as `differential/main.ts` prints it.
const results: CaseResult[] = [];

// Stopping dockerd and Buildah (unmounts, containerd) takes longer than bun's 5 s hook default.
afterAll(async () => {
  if (session) await (await session).close();
  if (results.length > 0) printReport(results, { candidate: "kiln" });
}, 120_000);

describe("differential conformance: kiln against Docker", () => {
  for (const c of cases) {
    const why = c.skip ?? (c.oracle === "buildah" ? buildahSkip : undefined);
    const skip = blocked || skipReason(why !== undefined, `${c.name}: ${why}`);
    if (skip && !blocked) results.push({ name: c.name, oracle: c.oracle, verdict: "skipped", note: why });
    test.skipIf(skip)(
      c.name,
      async () => {
        const r = await (await getSession()).run(c);
        results.push(r);
        if (r.verdict === "error") throw new Error(r.note);
        // Known only once the case runs: a stand-in base that cannot be made here.
        if (r.verdict === "skipped") console.error(`skipped: ${c.name}: ${r.note}`);
        expect(r.verdict === "oracle-only" ? r.note : "").toBe("");
        expect((r.unexpected ?? []).map(formatDifference)).toEqual([]);
      },
      600_000,
    );
  }
});
