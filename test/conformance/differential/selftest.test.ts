// The comparator checked end to end against real builders, independent of
// kiln: Docker rebuilt without cache must be identical to Docker (timestamps
// and layer boundaries ignored, hard links stable), and Buildah must differ
// from Docker exactly where the two are known to differ.
import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { buildahUnavailable } from "../../reference/buildah.ts";
import { dockerdUnavailable } from "../../reference/dockerd.ts";
import { REPO, SHARED, skipReason } from "../../harness.ts";
import { listCases, type Case } from "./cases.ts";
import { formatDifference } from "./compare.ts";
import { openSession, type CandidateName, type Session } from "./session.ts";

const all = listCases(SHARED, join(REPO, "test/fixtures/conformance"));
const pick = (name: string): Case => {
  const c = all.find((x) => x.name === name);
  if (!c) throw new Error(`no case ${name}`);
  return c;
};
const dockerSkip = skipReason(dockerdUnavailable() !== undefined, `comparator self-test: ${dockerdUnavailable()}`);
const buildahSkip = dockerSkip || skipReason(buildahUnavailable() !== undefined, `comparator self-test: ${buildahUnavailable()}`);
const noShared = skipReason(!SHARED, "comparator self-test: ../shared is absent");

const sessions = new Map<CandidateName, Promise<Session>>();
/** One session at a time: each holds a dockerd, and the cached data root takes one daemon. */
const sessionFor = async (candidate: CandidateName) => {
  let s = sessions.get(candidate);
  if (s) return s;
  for (const [name, other] of sessions) {
    await (await other).close();
    sessions.delete(name);
  }
  sessions.set(candidate, (s = openSession({ candidate, shared: SHARED, oracles: new Set(["docker"]) })));
  return s;
};
afterAll(async () => {
  for (const s of sessions.values()) await (await s).close();
}, 120_000);

describe("comparator self-test", () => {
  // Also: both refusing at the same line, and a Debian stand-in base.
  const identical = ["kiln/whiteouts", "kiln/add-archives", "kiln/metadata", "kiln/chown-refused"];
  if (SHARED) identical.push("buildah/dockerignore/populated/#copy-multiple-some-missing", "buildah/copychown/Dockerfile");
  for (const name of identical) {
    test.skipIf(dockerSkip)(`Docker rebuilt without cache is identical to Docker: ${name}`, async () => {
      const r = await (await sessionFor("docker")).run(pick(name));
      expect([r.verdict, r.unexpected?.map(formatDifference)]).toEqual(["identical", []]);
    }, 300_000);
  }

  const buildah: { name: string; differences: string[] }[] = [
    {
      // Buildah keeps its RUN mount-point stubs; Docker does not.
      name: "buildah/Dockerfile.copyfrom_1",
      differences: ["/etc/hostname exists", "/etc/hosts exists", "/etc/resolv.conf exists", "/proc exists", "/run exists", "/sys exists"],
    },
    { name: "buildah/tar-g/Dockerfile", differences: ["/tmp exists"] },
  ];
  for (const row of buildah) {
    test.skipIf(buildahSkip || noShared)(`Buildah differs from Docker exactly as known: ${row.name}`, async () => {
      const r = await (await sessionFor("buildah")).run(pick(row.name));
      expect(r.unexpected?.map(formatDifference) ?? []).toEqual([]);
      const files = (r.explained ?? []).filter((e) => e.difference.kind === "file").map((e) => `${e.difference.path} ${e.difference.field}`);
      expect(files.sort()).toEqual(row.differences.sort());
    }, 300_000);
  }
});
