// kiln's own lint: the import rules of STYLE.md §3.1, checked on every file.
// - dockerfile, sandbox, layer, image import only errors.ts and util/;
// - store may add image and layer; registry may add image; build may add all but cli;
// - nothing imports cli; only cli (and tests) import consola;
// - across modules, only a module's index.ts is imported; `_x.ts` stays in its folder;
// - util/ and errors.ts import no kiln module;
// - no STATIC import of a module that is slow to load (see SLOW_TO_LOAD below).
// Exit 1 with one line per violation.
import { Glob } from "bun";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../src");
const LEAF = ["errors.ts", "util"];
const ALLOWED: Record<string, string[]> = {
  dockerfile: LEAF,
  sandbox: LEAF,
  layer: LEAF,
  image: LEAF,
  store: [...LEAF, "image", "layer"],
  registry: [...LEAF, "image"],
  build: [...LEAF, "dockerfile", "sandbox", "layer", "store", "image", "registry"],
  cli: [...LEAF, "dockerfile", "sandbox", "layer", "store", "image", "registry", "build", "version.ts"],
  util: [],
  "errors.ts": [],
  "version.ts": [],
  "main.ts": ["cli", "sandbox", "build"],
};

// Startup time is a feature: a fully cached `kiln build` must finish in a few
// milliseconds. In a `bun build --compile` binary every static import of a Node
// built-in is hoisted to the top of the single bundle and loaded at start-up,
// even when it sits in a module that is itself imported lazily. Measured here
// (hello world 5 ms): node:stream, node:zlib, node:crypto, node:tty, node:net
// each add 8-10 ms; consola 20+ ms; tar-stream/tar-fs pull in node:stream.
// Load these inside the function that needs them:
//   const { createGzip } = await import("node:zlib");   // or require("node:zlib")
// Likewise, touching process.stdout / process.stderr initialises Node streams
// (+12 ms): write results with fs.writeSync(1, …) or console.log on hot paths.
const SLOW_TO_LOAD = new Set([
  "node:stream", "node:stream/promises", "node:stream/web", "node:zlib", "node:crypto", "node:tty", "node:net",
  "node:http", "node:https", "node:tls", "node:http2", "node:child_process", "node:readline", "node:dns",
  "stream", "zlib", "crypto", "tty", "net", "http", "https", "tls", "child_process", "readline",
  "consola", "consola/basic", "consola/core", "tar-stream", "tar-fs",
  // Smaller, but on every start-up path: node:fs/promises 0.4-0.8 ms (perf helper).
  "node:fs/promises", "fs/promises",
]);
const staticImportRe = /(?:^|\n)\s*import\s+(?!type\b)[^'"]*?from\s*["']([^"']+)["']|(?:^|\n)\s*import\s*["']([^"']+)["']/g;

const moduleOf = (file: string): string => relative(SRC, file).split("/")[0]!;
const problems: string[] = [];
const importRe = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)/g;

for await (const rel of new Glob("**/*.ts").scan(SRC)) {
  const file = join(SRC, rel);
  const text = await Bun.file(file).text();
  const mod = moduleOf(file);
  for (const m of text.matchAll(staticImportRe)) {
    const spec = m[1] ?? m[2]!;
    if (SLOW_TO_LOAD.has(spec)) {
      problems.push(`src/${rel}: static import of "${spec}" slows every kiln start-up; load it inside the function that needs it (await import("${spec}")) — see SLOW_TO_LOAD in scripts/lint.ts`);
    }
  }
  for (const m of text.matchAll(importRe)) {
    const spec = m[1] ?? m[2]!;
    const where = `src/${rel}`;
    if (spec === "consola" && mod !== "cli") problems.push(`${where}: only cli/ may import consola (take a Logger parameter)`);
    if (!spec.startsWith(".")) continue;
    if (!spec.endsWith(".ts") && !spec.endsWith(".json")) problems.push(`${where}: relative import "${spec}" must keep its .ts extension`);
    const target = resolve(dirname(file), spec);
    const tmod = moduleOf(target);
    if (tmod === mod) continue;
    if (!(ALLOWED[mod] ?? []).includes(tmod)) {
      problems.push(`${where}: module ${mod} may not import ${tmod} (${spec})`);
      continue;
    }
    const inner = relative(join(SRC, tmod), target);
    const isEntry = mod === "main.ts" && tmod === "cli" && inner === "main.ts";
    if (tmod !== "util" && !tmod.endsWith(".ts") && inner !== "index.ts" && !isEntry) {
      problems.push(`${where}: import ${tmod}/ through its index.ts, not ${tmod}/${inner}`);
    }
    if (inner.split("/").some((p) => p.startsWith("_"))) problems.push(`${where}: ${tmod}/${inner} is private to its folder`);
  }
}

if (problems.length > 0) {
  for (const p of problems.sort()) console.error(p);
  console.error(`lint: ${problems.length} problem(s)`);
  process.exit(1);
}
console.error("lint: import rules hold");
