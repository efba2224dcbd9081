// Entry point: the hidden in-container init mode, or the CLI. Nothing else
// belongs here, so that each mode loads only what it needs: the init is on
// every container's start-up path and must not evaluate the CLI or consola.
import type { OpHandler } from "./sandbox/index.ts";

const argv = process.argv.slice(2);

/**
 * In-container operations (ContainerSpec process.kind "op") by name. Handlers
 * load their module lazily (literal `import()` specifiers only), so that a
 * plain container start evaluates none of them.
 */
const ops: Record<string, OpHandler> = {
  "build.copy": async (payload, ctx) => (await import("./build/index.ts")).copyOp(payload, ctx),
  "build.mkdir": async (payload, ctx) => (await import("./build/index.ts")).mkdirOp(payload, ctx),
  "build.export": async (payload, ctx) => (await import("./build/index.ts")).exportOp(payload, ctx),
  "build.export-fs": async (payload, ctx) => (await import("./build/index.ts")).exportFsOp(payload, ctx),
};

if (argv[0] === "__init") {
  const { runInit } = await import("./sandbox/index.ts");
  await runInit(argv.slice(1), ops);
} else if (argv[0] === "__container") {
  // The supervisor of a detached container (kiln run -d).
  const { runMonitor } = await import("./sandbox/index.ts");
  await runMonitor(argv[1]!);
} else {
  const { main } = await import("./cli/main.ts");
  await main(argv);
}
