// Build speed (issue 5): kiln against Docker 20.10's classic builder and
// Buildah, on the same machine in the same run, as ratios.
//   many-runs  FROM alpine + 20 small RUN steps         cold, fully cached
//   copy-tree  COPY of 20,000 files of 1–16 KiB (~170 MiB), then one RUN
//                                                       cold, fully cached, one file changed
// Cold: each builder's cache is cleared first (Docker: every image but the
// bases; Buildah: rmi --all, bases re-made; kiln: a fresh empty store), all
// clears done and synced before the timed builds, never right before one.
// The copy-tree context is generated once into a kept dir (ext4 here is slow
// to create files right after deleting many). Median of KILN_BENCH_RUNS (3).
//
//   bun run bench/build.bench.ts [many-runs|copy-tree]      (KILN_BENCH_RUNS=5, KILN_BENCH_DIR=/var/tmp)
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeBaseImages } from "../test/reference/base-images.ts";
import { openBuildah, openDocker, type Builder, type BuilderName } from "../test/reference/builders.ts";
import { openKiln } from "../test/reference/kiln.ts";
import { SHARED } from "../test/harness.ts";
import { median, printTable, type Row } from "./lib.ts";

const RUNS = Number(process.env.KILN_BENCH_RUNS ?? 3);
const DIR = join(process.env.KILN_BENCH_DIR ?? "/var/tmp", "kiln-bench-build");
const FILES = 20_000;
const PER_DIR = 100;

type Scenario = "cold" | "cached" | "one file changed";
interface Shape {
  name: string;
  scenarios: Scenario[];
  /** Minimum speed-up of kiln over each reference, per scenario. */
  targets: Partial<Record<Scenario, Partial<Record<BuilderName, number>>>>;
  context(): string;
}

function manyRunsContext(): string {
  const dir = join(DIR, "many-runs");
  mkdirSync(dir, { recursive: true });
  const runs = Array.from({ length: 20 }, (_, i) => `RUN echo ${i + 1} > /file${i + 1}`);
  writeFileSync(join(dir, "Dockerfile"), ["FROM alpine", ...runs, ""].join("\n"));
  return dir;
}

/** 20,000 files of 1–16 KiB in 200 dirs, made once (a marker says it is complete). */
function copyTreeContext(): string {
  const dir = join(DIR, "copy-tree-v1");
  if (!existsSync(join(dir, ".complete"))) {
    const tmp = `${dir}.tmp-${process.pid}`;
    console.error(`generating ${FILES} files under ${dir} (once)…`);
    for (let i = 0; i < FILES; i++) {
      const sub = join(tmp, "tree", `d${String(Math.floor(i / PER_DIR)).padStart(3, "0")}`);
      if (i % PER_DIR === 0) mkdirSync(sub, { recursive: true });
      const size = 1024 + ((i * 2654435761) >>> 0) % (15 * 1024 + 1);
      // Random bytes: incompressible, like most real trees' bulk (the tree is made once, so not seeded).
      writeFileSync(join(sub, `f${String(i % PER_DIR).padStart(3, "0")}`), crypto.getRandomValues(new Uint8Array(size)));
    }
    writeFileSync(join(tmp, "Dockerfile"), "FROM alpine\nCOPY tree /tree\nRUN find /tree -type f | wc -l > /count\n");
    writeFileSync(join(tmp, ".complete"), "");
    renameSync(tmp, dir);
  }
  return dir;
}

/** Change one file of the copy-tree context to content never built before. */
function changeOneFile(ctx: string): void {
  writeFileSync(join(ctx, "tree/d000/f000"), `changed ${Date.now()} ${Math.random()}\n`);
}

const SHAPES: Shape[] = [
  { name: "many-runs", scenarios: ["cold", "cached"], targets: { cold: { docker: 5 }, cached: { docker: 5 } }, context: manyRunsContext },
  {
    name: "copy-tree",
    scenarios: ["cold", "cached", "one file changed"],
    targets: { cold: { docker: 5, buildah: 2 }, cached: { docker: 20 }, "one file changed": { docker: 10 } },
    context: copyTreeContext,
  },
];

async function timedBuild(b: Builder, ctx: string, tag: string): Promise<number> {
  const t0 = performance.now();
  const r = await b.build({ context: ctx, dockerfile: join(ctx, "Dockerfile"), tag });
  const s = (performance.now() - t0) / 1000;
  if (!r.ok) throw new Error(`${b.name} build of ${ctx} failed:\n${r.output.slice(-2000)}`);
  return s;
}

async function settle(): Promise<void> {
  // Deleting many files issues discards; let them land before anything is timed.
  Bun.spawnSync(["sync"]);
  await Bun.sleep(2000);
}

/** Times (s) per builder for one shape and scenario, builders interleaved run by run. */
async function measure(builders: Builder[], shape: Shape, scenario: Scenario): Promise<Map<BuilderName, number[]>> {
  const ctx = shape.context();
  const tag = `kiln-bench/${shape.name}:latest`;
  const times = new Map<BuilderName, number[]>(builders.map((b) => [b.name, []]));
  for (let run = 0; run < RUNS; run++) {
    if (scenario === "cold") {
      for (const b of builders) await b.clearCache();
      await settle();
    } else {
      for (const b of builders) await timedBuild(b, ctx, tag); // warm: everything cached
      if (scenario === "one file changed") changeOneFile(ctx);
    }
    for (const b of builders) times.get(b.name)!.push(await timedBuild(b, ctx, tag));
  }
  return times;
}

async function open(): Promise<{ builders: Builder[]; notes: string[] }> {
  const bases = await makeBaseImages(SHARED);
  const notes: string[] = [];
  const builders: Builder[] = [];
  for (const [name, opener] of [["docker", openDocker], ["buildah", openBuildah], ["kiln", openKiln]] as const) {
    const b = await opener();
    if ("skip" in b) {
      notes.push(`${name}: skipped (${b.skip})`);
      continue;
    }
    await b.loadBases(bases);
    builders.push(b);
  }
  return { builders, notes };
}

const fmt = (s: number | undefined) => (s === undefined ? "n/a" : s < 1 ? s.toFixed(3) : s.toFixed(2));

const filter = process.argv.slice(2);
const shapes = filter.length ? SHAPES.filter((s) => filter.includes(s.name)) : SHAPES;
const { builders, notes } = await open();
for (const n of notes) console.log(`note: ${n}`);
if (!builders.some((b) => b.name === "docker")) {
  console.log("build bench needs Docker as the reference: nothing measured");
  process.exit(0);
}

const rows: Row[] = [];
try {
  for (const shape of shapes) {
    for (const scenario of shape.scenarios) {
      const times = await measure(builders, shape, scenario);
      const med = (n: BuilderName) => (times.get(n)?.length ? median(times.get(n)!) : undefined);
      const kiln = med("kiln");
      const ratio = (n: BuilderName) => (kiln && med(n) ? `${(med(n)! / kiln).toFixed(1)}×` : "n/a");
      const targets = Object.entries(shape.targets[scenario] ?? {}).map(([n, x]) => `${n} ≥${x}×`).join(", ");
      const goals = Object.entries(shape.targets[scenario] ?? {}).filter(([n]) => med(n as BuilderName) !== undefined);
      const met = kiln === undefined ? "kiln n/a" : goals.every(([n, x]) => med(n as BuilderName)! / kiln >= x!) ? "yes" : "NO";
      rows.push({ name: `${shape.name} ${scenario}`, "docker s": fmt(med("docker")), "buildah s": fmt(med("buildah")), "kiln s": fmt(kiln), "kiln vs docker": ratio("docker"), "kiln vs buildah": ratio("buildah"), target: targets, met, runs: RUNS });
      console.error(`${shape.name} ${scenario}: ${[...times].map(([n, t]) => `${n} ${t.map((x) => x.toFixed(2)).join("/")}`).join("; ")}`);
    }
  }
} finally {
  for (const b of builders) await b.close();
}
printTable(`build: kiln vs Docker ${builders.find((b) => b.name === "docker")?.version} and Buildah (median of ${RUNS}, seconds; ratios = reference time / kiln time)`, rows);
// The kept contexts are small (many-runs) or meant to be kept (copy-tree); stray temp dirs are not.
for (const d of existsSync(DIR) ? readdirSync(DIR) : []) if (d.includes(".tmp-")) rmSync(join(DIR, d), { recursive: true, force: true });
