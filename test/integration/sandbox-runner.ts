// A small kiln stand-in for the sandbox integration tests, run as its own
// process so that tests can signal it, kill it, or start it as another user.
//   bun sandbox-runner.ts JOB.json   → run the container of JOB, exit with its status
//   bun sandbox-runner.ts __init …   → kiln's init, with two test ops registered
// JOB: { spec: ContainerSpec, io?: RunIO, userns?: boolean }. With userns the
// runner first enters kiln's rootless user namespace (ensureUserNamespace).
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { StoreError } from "../../src/errors.ts";
import { ensureUserNamespace, runContainer, runInit, type OpHandler } from "../../src/sandbox/index.ts";

const ops: Record<string, OpHandler> = {
  // Writes payload.content at payload.path in the root, plus what extra["src"]/hello says.
  "write-file": async (payload, ctx) => {
    const p = payload as { path: string; content: string };
    const extra = ctx.extra.src ? readFileSync(join(ctx.extra.src, "hello"), "utf8") : "";
    writeFileSync(join(ctx.rootfs, p.path), p.content + extra);
  },
  fail: async () => {
    throw new StoreError("E_STORE", "the op failed on purpose", { hint: "this is the hint" });
  },
};

const argv = process.argv.slice(2);
if (argv[0] === "__init") {
  await runInit(argv.slice(1), ops);
} else {
  const job = JSON.parse(readFileSync(argv[0]!, "utf8"));
  if (job.userns) await ensureUserNamespace();
  try {
    const r = await runContainer(job.spec, job.io ?? {}, { init: [process.execPath, import.meta.path] });
    if (r.stdout !== undefined) process.stdout.write(r.stdout);
    process.exitCode = r.exitCode;
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string; hint?: string };
    process.stderr.write(`RUNNER-ERROR ${JSON.stringify({ name: e.name, code: e.code, message: e.message, hint: e.hint })}\n`);
    process.exitCode = 125;
  }
}
