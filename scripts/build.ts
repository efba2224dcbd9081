// Compiles kiln into one standalone executable: dist/kiln.
// Usage: bun run scripts/build.ts [--outfile dist/kiln]
import { $ } from "bun";
import pkg from "../package.json" with { type: "json" };

const outIdx = process.argv.indexOf("--outfile");
const outfile = outIdx > 0 ? process.argv[outIdx + 1]! : "dist/kiln";
const commit = (await $`git rev-parse --short HEAD`.nothrow().quiet().text()).trim() || "unknown";

const result = await Bun.build({
  entrypoints: ["src/main.ts"],
  target: "bun",
  minify: true,
  // Precompiled bytecode halves start-up (kiln version 24 → 11 ms; a fully cached
  // 21-step build 58 → 28 ms; every container's init starts faster too). ESM keeps main.ts's top-level await.
  bytecode: true,
  format: "esm",
  // Code splitting (Bun ≥ 1.3 supports it in --compile; the chunks live inside
  // the executable): a lazily imported module is then also loaded lazily, so the
  // container init (main.ts → sandbox/) no longer decodes the CLI, the builder
  // and the store: kiln version 10.5 → 8.2 ms, one container start 20.1 → 17.2 ms
  // (medians, interleaved runs, bench/container.bench.ts's image).
  splitting: true,
  sourcemap: "none",
  define: {
    KILN_VERSION: JSON.stringify(pkg.version),
    KILN_COMMIT: JSON.stringify(commit),
  },
  // kiln runs inside users' project folders: a stray .env or bunfig.toml there
  // must not change how the binary behaves.
  // JIT policy 8: start-up code stays in JSC's interpreter 8× longer instead of
  // being compiled on a second thread that, on a small machine, competes with
  // the work itself: a fully cached 21-step build 22.3 → 19.1 ms (median of 60,
  // 2 cores). Heavy paths (a step that runs a container, an op, a layer diff)
  // call Bun.unsafe.setJITPolicy(1) when they start (build/real-executor.ts,
  // sandbox/init.ts runOp).
  compile: { outfile, autoloadDotenv: false, autoloadBunfig: false, jitPolicy: 8 },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.error(`built ${outfile} (kiln ${pkg.version}, ${commit})`);
