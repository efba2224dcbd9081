// A differential session: the oracles (Docker, Buildah) and one candidate
// (kiln; or Docker/Buildah themselves, rebuilt without cache, to self-test
// the comparator) opened once, base images loaded into each, then one case
// at a time → verdict. Used by main.ts and differential.test.ts alike.
import { readFileSync } from "node:fs";
import { baseKeyFor, makeBaseImages, type BaseImage } from "../../reference/base-images.ts";
import { openBuildah, openDocker, type Builder, type Opened } from "../../reference/builders.ts";
import { openKiln } from "../../reference/kiln.ts";
import { makeStandIn, type StandInKey } from "../../reference/stand-ins.ts";
import { fromImages } from "./from-lines.ts";
import type { Case, Oracle } from "./cases.ts";
import { compareSnapshots } from "./compare.ts";
import { classify, loadExpectations, type Expectation } from "./expected.ts";
import type { CaseResult } from "./report.ts";
import { buildSnapshot, oracleSnapshot, prepareCase } from "./run-case.ts";
import type { Snapshot } from "./snapshot.ts";
import { expectedSnapshot } from "./expect-oracle.ts";

export type CandidateName = "kiln" | "docker" | "buildah";

export interface Session {
  candidate: CandidateName;
  /** Why the candidate cannot build here (every case is then oracle-only). */
  candidateSkip?: string;
  /** Why an oracle cannot run here. */
  oracleSkip: Partial<Record<Oracle, string>>;
  run(c: Case): Promise<CaseResult>;
  /** Expectations (for this candidate) that matched no difference in the cases run so far. */
  staleExpectations(ranCases: string[]): Expectation[];
  close(): Promise<void>;
}

export interface SessionOptions {
  candidate: CandidateName;
  shared: string | undefined;
  /** Which oracles the cases need. */
  oracles: Set<Oracle>;
  /** Rebuild oracle snapshots even when cached. */
  refresh?: boolean;
  /** Called with each oracle snapshot (for --show). */
  show?: (caseName: string, snapshot: Snapshot) => void;
}

/** Open oracles and candidate, load base images into each. */
export async function openSession(opts: SessionOptions): Promise<Session> {
  const bases: BaseImage[] = await makeBaseImages(opts.shared);
  const opened: Builder[] = [];
  const oracles: Partial<Record<Exclude<Oracle, "expect">, Builder>> = {};
  const oracleSkip: Session["oracleSkip"] = {};
  const use = async (o: Opened): Promise<Builder | string> => {
    if ("skip" in o) return o.skip;
    opened.push(o);
    await o.loadBases(bases);
    return o;
  };
  for (const name of ["docker", "buildah"] as const) {
    // "expect" needs no builder: its snapshots are written by hand.
    if (!opts.oracles.has(name) && opts.candidate !== name) continue;
    const b = await use(name === "docker" ? await openDocker() : await openBuildah());
    if (typeof b === "string") oracleSkip[name] = b;
    else oracles[name] = b;
  }
  let candidate: Builder | undefined;
  let candidateSkip: string | undefined;
  if (opts.candidate === "kiln") {
    const k = await use(await openKiln());
    if (typeof k === "string") candidateSkip = k;
    else candidate = k;
  } else {
    candidate = oracles[opts.candidate];
    candidateSkip = oracleSkip[opts.candidate];
  }

  const expectations = loadExpectations();
  const used = new Set<number>();

  /**
   * The bases a case builds on: busybox and alpine (loaded everywhere at
   * open, part of every cache key, as before) plus the stand-ins its FROM
   * lines name, made and loaded into `into` on first use.
   */
  const loadedInto = new Map<Builder, Set<string>>();
  const basesFor = async (c: Case, dockerfile: string, into: Builder[]): Promise<BaseImage[] | { skip: string }> => {
    const keys = fromImages(readFileSync(dockerfile, "utf8"), c.buildArgs).map(baseKeyFor);
    const standIns = [...new Set(keys.filter((k): k is StandInKey => k !== undefined && !bases.some((b) => b.key === k)))];
    let more: BaseImage[];
    try {
      more = await Promise.all(standIns.map((k) => makeStandIn(k)));
    } catch (err) {
      return { skip: (err as Error).message };
    }
    for (const b of into) {
      const have = loadedInto.get(b) ?? new Set<string>();
      const missing = more.filter((m) => !have.has(m.key));
      if (missing.length) await b.loadBases(missing);
      for (const m of missing) have.add(m.key);
      loadedInto.set(b, have);
    }
    return [...bases, ...more];
  };

  /** Why the oracle's snapshot does not fit a case that must fail at a line (undefined when it does). */
  const misfit = (c: Case, o: Snapshot): string | undefined => {
    // An oracle that fails the case's output check (upstream's) cannot judge the candidate.
    if (c.outputMatches && !o.built) return `the oracle fails the case: ${o.error}`;
    if (c.failsAt === undefined || (!o.built && o.failedAt === c.failsAt)) return undefined;
    return `the case must fail at line ${c.failsAt}, but the oracle ${o.built ? "built it" : `failed at line ${o.failedAt ?? "?"}: ${o.error}`}`;
  };

  const run = async (c: Case): Promise<CaseResult> => {
    const base = { name: c.name, oracle: c.oracle };
    if (c.skip) return { ...base, verdict: "skipped", note: c.skip };
    const oracle = c.oracle === "expect" ? undefined : oracles[c.oracle];
    if (c.oracle !== "expect" && !oracle) return { ...base, verdict: "skipped", note: `${c.oracle} unavailable: ${oracleSkip[c.oracle]}` };
    const t0 = performance.now();
    const p = await prepareCase(c);
    try {
      const caseBases = await basesFor(c, p.dockerfile, [oracle, candidate].filter((b): b is Builder => b !== undefined));
      if ("skip" in caseBases) return { ...base, verdict: "skipped", note: caseBases.skip };
      const o = oracle ? await oracleSnapshot(oracle, c, p, caseBases, { refresh: opts.refresh }) : { snapshot: await expectedSnapshot(c.name, p.context, caseBases), cached: false };
      opts.show?.(c.name, o.snapshot);
      const wrong = misfit(c, o.snapshot);
      if (wrong) return { ...base, verdict: "error", note: wrong, seconds: (performance.now() - t0) / 1000 };
      const oracleNote = `${c.oracle}${o.cached ? " (cached)" : ""}${o.snapshot.built ? "" : ` refused the build: ${o.snapshot.error?.split("\n").pop()}`}${c.oracleReason ? `; oracle ${c.oracle}: ${c.oracleReason}` : ""}${c.note ? `; ${c.note}` : ""}`;
      if (!candidate) return { ...base, verdict: "oracle-only", note: `${oracleNote}; candidate: ${candidateSkip}`, seconds: (performance.now() - t0) / 1000 };
      // A builder compared with itself rebuilds from scratch: a cached build would prove nothing.
      const cand = await buildSnapshot(candidate, c, p, { noCache: candidate === oracle });
      const diffs = compareSnapshots(o.snapshot, cand);
      const k = classify(expectations, c.name, { oracle: c.oracle, candidate: opts.candidate }, diffs);
      for (const i of k.used) used.add(i);
      const verdict = k.unexpected.length ? "differs" : k.explained.length ? "explained" : "identical";
      return { ...base, verdict, note: oracleNote, unexpected: k.unexpected, explained: k.explained, seconds: (performance.now() - t0) / 1000 };
    } catch (err) {
      return { ...base, verdict: "error", note: (err as Error).stack ?? String(err), seconds: (performance.now() - t0) / 1000 };
    } finally {
      p.dispose();
    }
  };

  return {
    candidate: opts.candidate,
    candidateSkip,
    oracleSkip,
    run,
    staleExpectations: (ran) =>
      expectations.filter((e, i) => !used.has(i) && (!e.candidate || e.candidate === opts.candidate) && !e.oracle && !e.case.includes("*") && ran.includes(e.case)),
    async close() {
      for (const b of opened.reverse()) await b.close();
    },
  };
}
