// `make bench`: run every bench/*.bench.ts, one at a time, each as its own
// `bun run FILE` process (so one benchmark's memory, caches and daemons
// cannot skew the next), their tables streamed as they print.
//
//   bun run bench/main.ts [FILTER…]     FILTER: substrings of file names (build, codec, …)
//   bun run bench/main.ts --list
// Exit status: 1 if any benchmark process failed (the others still run).
import { Glob } from "bun";
import { basename, join } from "node:path";

const dir = import.meta.dir;
const args = process.argv.slice(2);
const files = [...new Glob("*.bench.ts").scanSync(dir)].sort();
const filters = args.filter((a) => !a.startsWith("--"));
const chosen = filters.length ? files.filter((f) => filters.some((x) => f.includes(x))) : files;

if (args.includes("--list")) {
  for (const f of files) console.log(f);
  process.exit(0);
}
if (chosen.length === 0) {
  console.error(`no benchmark matches ${filters.join(", ")} (have: ${files.join(", ")})`);
  process.exit(2);
}

const summary: { name: string; status: string; seconds: string }[] = [];
for (const f of chosen) {
  console.log(`\n# ${basename(f, ".bench.ts")} (bench/${f})`);
  const t0 = performance.now();
  const proc = Bun.spawn([process.execPath, "run", join(dir, f)], { stdin: "ignore", stdout: "inherit", stderr: "inherit" });
  const code = await proc.exited;
  summary.push({ name: f, status: code === 0 ? "ok" : `exit ${code}`, seconds: ((performance.now() - t0) / 1000).toFixed(1) });
}

console.log("\n# summary");
for (const s of summary) console.log(`${s.name.padEnd(28)} ${s.status.padEnd(8)} ${s.seconds} s`);
process.exitCode = summary.some((s) => s.status !== "ok") ? 1 : 0;
