// Registry transfer speed: `kiln pull` and `kiln push` of a 512 MiB image
// (two layers, each 192 MiB of random bytes + 64 MiB of zeros) against a real
// local registry, compared with `skopeo copy` between the same registry and
// an OCI layout dir, in the same run. Target: kiln ≤ 1.0× skopeo's time.
//
//   node_modules/.bin/bun run bench/registry.bench.ts      (KILN_BENCH_RUNS=3)
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Store, importRootfs } from "../src/store/index.ts";
import { which } from "../src/util/spawn.ts";
import { registryUnavailable, startRegistry } from "../test/lib/registry-server.ts";
import { kilnExe } from "../test/harness.ts";
import { median, printTable, timeCommand } from "./lib.ts";

const RUNS = Number(process.env.KILN_BENCH_RUNS ?? 3);
const MiB = 1 << 20;

const missing = registryUnavailable() ?? (which("skopeo") ? undefined : "skopeo is not installed");
if (missing) {
  console.error(`skip: ${missing}`);
  process.exit(0);
}

/** A rootfs tar of `random` MiB of random bytes and `zero` MiB of zeros, via the tar tool. */
async function rootfsTar(dir: string, name: string, random: number, zero: number): Promise<ReadableStream<Uint8Array>> {
  const root = join(dir, name);
  mkdirSync(join(root, "data"), { recursive: true });
  const rnd = Bun.spawn(["head", "-c", String(random * MiB), "/dev/urandom"], { stdout: Bun.file(join(root, "data/random.bin")) });
  await rnd.exited;
  writeFileSync(join(root, "data/zero.bin"), new Uint8Array(zero * MiB));
  return Bun.spawn(["tar", "-C", root, "-cf", "-", "."], { stdout: "pipe" }).stdout;
}

const work = join(process.env.KILN_BENCH_DIR ?? tmpdir(), `kiln-bench-registry-${process.pid}`);
mkdirSync(work, { recursive: true });
const reg = await startRegistry();
try {
  // The image: two one-layer imports, joined into one two-layer image.
  const seedRoot = join(work, "seed-store");
  const store = await Store.open({ root: seedRoot });
  const a = await importRootfs(store, await rootfsTar(work, "a", 192, 64));
  const b = await importRootfs(store, await rootfsTar(work, "b", 192, 64));
  const image = await store.commitImage({
    config: { ...a.config, rootfs: { type: "layers", diff_ids: [a.diffIds[0]!, b.diffIds[0]!] }, history: [...(a.config.history ?? []), ...(b.config.history ?? [])] },
    layers: [a.manifest.layers[0]!, b.manifest.layers[0]!].map((descriptor, i) => ({ descriptor, diffId: [a.diffIds[0]!, b.diffIds[0]!][i]! })),
    tags: [`${reg.host}/bench/src:1`],
  });
  store.close();
  const blobBytes = image.manifest.layers.reduce((n, l) => n + l.size, 0);
  rmSync(join(work, "a"), { recursive: true });
  rmSync(join(work, "b"), { recursive: true });

  const kiln = kilnExe();
  const env = { ...process.env, HOME: work, REGISTRY_AUTH_FILE: join(work, "auth.json") } as Record<string, string>;
  // Seed the registry with kiln (not timed), then a skopeo OCI layout to push from.
  await timeCommand([kiln, "--root", seedRoot, "push", `${reg.host}/bench/src:1`], { env });
  const layout = join(work, "layout");
  await timeCommand(["skopeo", "copy", "--src-tls-verify=false", `docker://${reg.host}/bench/src:1`, `oci:${layout}:src`]);

  const times = { kilnPull: [] as number[], skopeoPull: [] as number[], kilnPush: [] as number[], skopeoPush: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    // Fresh destinations every run (never deleting a big tree right before a timed run).
    times.kilnPull.push(await timeCommand([kiln, "--root", join(work, `pull-kiln-${i}`), "pull", "-q", `${reg.host}/bench/src:1`], { env }));
    times.skopeoPull.push(await timeCommand(["skopeo", "copy", "-q", "--src-tls-verify=false", `docker://${reg.host}/bench/src:1`, `oci:${join(work, `pull-skopeo-${i}`)}:src`]));
    // Pushes go to a fresh, empty registry each: no blob can be found or mounted
    // there (skopeo's blob-info cache would otherwise mount from bench/src).
    await using kReg = await startRegistry();
    await using sReg = await startRegistry();
    times.kilnPush.push(await timeCommand([kiln, "--root", seedRoot, "push", "-q", `${reg.host}/bench/src:1`, `${kReg.host}/bench/img:1`], { env }));
    times.skopeoPush.push(await timeCommand(["skopeo", "copy", "-q", "--dest-tls-verify=false", `oci:${layout}:src`, `docker://${sReg.host}/bench/img:1`]));
  }
  const row = (name: string, k: number[], s: number[]) => ({
    name,
    "kiln ms": Math.round(median(k)),
    "skopeo ms": Math.round(median(s)),
    "kiln/skopeo": median(k) / median(s),
    "kiln MB/s": Math.round(blobBytes / 1e6 / (median(k) / 1000)),
  });
  printTable(`registry transfers: 512 MiB image (${(blobBytes / MiB).toFixed(0)} MiB of gzip layers), median of ${RUNS}, target kiln/skopeo ≤ 1.00`, [
    row("pull (registry → store / oci dir)", times.kilnPull, times.skopeoPull),
    row("push (store / oci dir → registry)", times.kilnPush, times.skopeoPush),
  ]);
} finally {
  await reg.stop();
  rmSync(work, { recursive: true, force: true });
}
