// What one container costs: start to exit of `true` over a 5-layer image
// (Alpine + 4 RUN layers built by kiln), against `unshare -m -p -f -u -i true`
// alone, and against `docker run --rm --network host` when a private dockerd
// can be started here. Median of 50 runs each (5 warm-up runs).
//
//   bun run bench/container.bench.ts            (as root; builds dist/kiln first if needed)
//
// Rows:
//   unshare alone                 the namespaces, no kiln at all (reference)
//   runContainer                  kiln's sandbox API as the builder calls it (init = dist/kiln)
//   runContainer, --bytecode      same, init = kiln compiled with --bytecode (JSC bytecode,
//                                 no parse of the bundle at start-up; scripts/build.ts does not yet)
//   runContainer, small init      an init entry with only sandbox/ in its bundle, once
//                                 exec'ing the command, once spawning it and waiting
//                                 (same binary, Sys.execve swapped)
//   kiln run --rm                 the CLI end to end (start-up, store, records)
//   docker run --rm               Docker 20.10 + containerd + runc, same image content
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runContainer, type ContainerSpec } from "../src/sandbox/index.ts";
import { Store } from "../src/store/index.ts";
import { startDockerd } from "../test/reference/dockerd.ts";
import { median, printTable, timeCommand, timeRuns, type Row } from "./lib.ts";

const RUNS = 50;
const WARMUP = 5;
const REPO = join(import.meta.dir, "..");
const ALPINE = join(REPO, "../shared/images/alpine-minirootfs-3.20.3-x86_64.tar.gz");

// A small init entry whose Sys.execve spawns the command and waits instead of
// exec'ing it (or exec's, for a same-size comparison), compiled like kiln.
const INIT_VARIANTS = `
import { LibcSys, runInit } from ${JSON.stringify(join(import.meta.dir, "../src/sandbox/index.ts"))};
class SpawnSys extends LibcSys {
  execve(path: string, argv: string[], env: string[]): never {
    const r = Bun.spawnSync([path, ...argv.slice(1)], { env: Object.fromEntries(env.map((e) => e.split(/=(.*)/s))), stdio: ["inherit", "inherit", "inherit"] });
    process.exit(r.exitCode ?? 128);
  }
}
await runInit(process.argv.slice(3), {}, process.argv[2] === "__init-spawn" ? new SpawnSys() : new LibcSys());
`;

async function sh(argv: string[], env: Record<string, string> = {}): Promise<string> {
  const p = Bun.spawn(argv, { env: { ...process.env, ...env }, stdout: "pipe", stderr: "pipe", cwd: REPO });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${argv.join(" ")} failed (${code}): ${err}`);
  return out;
}

if (process.getuid?.() !== 0) {
  console.error("container.bench: run as root (the rootless path is the same code inside one user namespace)");
  process.exit(0);
}

const work = mkdtempSync(join(tmpdir(), "kiln-bench-container-"));
const root = join(work, "store");
const kiln = join(REPO, "dist/kiln");
try {
  await sh([process.execPath, "run", "scripts/build.ts"]);
  const initBin = join(work, "init-variants");
  writeFileSync(`${initBin}.ts`, INIT_VARIANTS);
  await sh([process.execPath, "build", "--compile", "--minify", `${initBin}.ts`, "--outfile", initBin]);
  const kilnBytecode = join(work, "kiln-bytecode");
  await sh([process.execPath, "build", "--compile", "--minify", "--bytecode", "--format=esm", "src/main.ts", "--outfile", kilnBytecode]);

  // The 5-layer image: Alpine plus four RUN layers, built by kiln itself.
  await sh([kiln, "import", ALPINE, "alpine:bench"], { KILN_ROOT: root });
  const ctx = join(work, "ctx");
  mkdirSync(ctx);
  writeFileSync(join(ctx, "Dockerfile"), "FROM alpine:bench\nRUN echo 1 > /l1\nRUN echo 2 > /l2\nRUN echo 3 > /l3\nRUN echo 4 > /l4\n");
  await sh([kiln, "build", "-q", "-t", "five:bench", ctx], { KILN_ROOT: root });
  const store = await Store.open({ root });
  const lowerDirs = await store.prepareSnapshots(await store.getImage("five:bench"));
  store.close();
  if (lowerDirs.length !== 5) throw new Error(`expected 5 layers, got ${lowerDirs.length}`);

  let n = 0;
  const spec = (): ContainerSpec => {
    const c = join(work, "c", String(n++));
    return {
      id: Bun.hash(c).toString(16).padStart(16, "0").repeat(4),
      rootfs: { lowerDirs, upperDir: join(c, "upper"), workDir: join(c, "work") },
      process: { kind: "exec", argv: ["true"], env: [], cwd: "/", user: "" },
      network: "host",
    };
  };
  const container = (init: string[], privileged = false) => async () => {
    const r = await runContainer({ ...spec(), ...(privileged ? { privileged } : {}) }, { stdout: "pipe", stderr: "pipe" }, { init });
    if (r.exitCode !== 0) throw new Error(`container exited ${r.exitCode}: ${r.stderr}`);
  };

  const measured: [string, number[]][] = [];
  const measure = async (name: string, fn: () => Promise<unknown>) => {
    measured.push([name, await timeRuns(fn, RUNS, WARMUP)]);
    console.error(`${name}: median ${median(measured.at(-1)![1]).toFixed(1)} ms`);
  };
  await measure("unshare -m -p -f -u -i true", () => timeCommand(["unshare", "-m", "-p", "-f", "-u", "-i", "true"]));
  // The container variants run interleaved, round by round, so that a change
  // in the machine's load hits all of them alike.
  const variants: [string, () => Promise<unknown>][] = [
    ["runContainer (init = dist/kiln, execve)", container([kiln])],
    // What Docker's confinement (masked /proc, capabilities, seccomp) costs: --privileged skips it.
    ["runContainer, --privileged (info)", container([kiln], true)],
    ["runContainer (init = kiln --bytecode)", container([kilnBytecode])],
    ["runContainer (small init, execve)", container([initBin, "__init-exec"])],
    ["runContainer (small init, spawn + wait)", container([initBin, "__init-spawn"])],
    ["kiln run --rm five:bench true", () => timeCommand([kiln, "run", "--rm", "five:bench", "true"], { env: { ...process.env, KILN_ROOT: root } as Record<string, string> })],
  ];
  const times = variants.map((): number[] => []);
  for (let round = 0; round < RUNS + WARMUP; round++) {
    for (const [i, [, fn]] of variants.entries()) {
      const t0 = performance.now();
      await fn();
      if (round >= WARMUP) times[i]!.push(performance.now() - t0);
    }
  }
  variants.forEach(([name], i) => {
    measured.push([name, times[i]!]);
    console.error(`${name}: median ${median(times[i]!).toFixed(1)} ms`);
  });

  const d = await startDockerd();
  if ("skip" in d) console.error(`docker run: skipped (${d.skip})`);
  else {
    try {
      const imported = await d.docker(["import", ALPINE, "alpine:bench"]);
      if (imported.exitCode !== 0) throw new Error(imported.stderr);
      const [cmd, ...args] = [await import("../test/reference/dockerd.ts").then((m) => m.dockerClient()!), "-H", d.host, "run", "--rm", "--network", "host", "alpine:bench", "true"];
      await measure("docker run --rm --network host alpine true", () => timeCommand([cmd!, ...args]));
    } finally {
      await d.stop();
    }
  }

  const ref = median(measured[0]![1]);
  const dockerMs = measured.find(([name]) => name.startsWith("docker"))?.[1];
  const rows: Row[] = measured.map(([name, times]) => ({
    name,
    "median ms": median(times),
    "p10 ms": [...times].sort((a, b) => a - b)[Math.floor(times.length / 10)]!,
    "x unshare": median(times) / ref,
    "docker / this": dockerMs ? median(dockerMs) / median(times) : "-",
  }));
  printTable(`one container running true, 5-layer image (median of ${RUNS}, ${WARMUP} warm-up)`, rows);
} finally {
  rmSync(work, { recursive: true, force: true });
}
