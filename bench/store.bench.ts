// Local store speed with the compiled kiln, each against a reference tool
// doing the same work on the same data in the same run:
//   save   kiln save -o (docker-archive)          vs skopeo copy oci:STORE → docker-archive
//   load   kiln load -i (layers gzip'd on the way) vs skopeo copy docker-archive → oci (--dest-compress)
//   import kiln import ROOTFS.tar                  vs gzip | sha256sum (the least any import must do)
//   unpack prepareSnapshots after import           vs tar -xzf of the same layer blob (import
//          extracts already, as docker import does: a lookup, for the record)
//   list   kiln images / kiln inspect             vs skopeo inspect oci:STORE:REF
// Data: a 256 MiB rootfs (half random, half zeros, 8 KiB–16 MiB files), made once
// in KILN_BENCH_DIR (default /var/tmp) and kept. Target: every ratio ≤ 1.
//
//   node_modules/.bin/bun run bench/store.bench.ts      (KILN_BENCH_RUNS=3)
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Store } from "../src/store/index.ts";
import { which } from "../src/util/spawn.ts";
import { kilnExe } from "../test/harness.ts";
import { median, printTable, timeCommand, timeRuns, type Row } from "./lib.ts";

const RUNS = Number(process.env.KILN_BENCH_RUNS ?? 3);
const MiB = 1 << 20;
const BASE = join(process.env.KILN_BENCH_DIR ?? "/var/tmp", "kiln-bench-store");

if (!which("skopeo")) {
  console.error("skip: skopeo is not installed");
  process.exit(0);
}

/** The rootfs dir and its tar, made once. */
async function rootfs(): Promise<{ dir: string; tar: string }> {
  const dir = join(BASE, "rootfs-256m-v1");
  const tar = join(BASE, "rootfs-256m-v1.tar");
  if (existsSync(tar)) return { dir, tar };
  console.error(`making the 256 MiB rootfs in ${dir} (once) …`);
  const sizes = [...Array(4096).fill(8 * 1024), ...Array(48).fill(MiB), ...Array(4).fill(16 * MiB)] as number[];
  for (const half of ["random", "zeros"]) {
    for (const [i, size] of sizes.entries()) {
      const d = join(dir, half, `d${Math.floor(i / 128)}`);
      mkdirSync(d, { recursive: true });
      const buf = new Uint8Array(size);
      if (half === "random") fillRandom(buf, i + 1);
      writeFileSync(join(d, `f${i}`), buf);
    }
  }
  await timeCommand(["tar", "-C", dir, "-cf", tar, "."]);
  return { dir, tar };
}

/** Cheap incompressible bytes (xorshift32). */
function fillRandom(buf: Uint8Array, seed: number): void {
  const words = new Uint32Array(buf.buffer, 0, buf.length >>> 2);
  let x = seed * 2654435761;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
}

const kiln = kilnExe();
const { dir: rootDir, tar } = await rootfs();
const work = join(BASE, `run-${process.pid}`);
mkdirSync(work, { recursive: true });
const env = (root: string) => ({ ...process.env, KILN_ROOT: root }) as Record<string, string>;
const rows: Row[] = [];
const row = (name: string, kilnMs: number[], refMs: number[], ref: string) =>
  rows.push({ name, kiln_ms: median(kilnMs), reference: ref, ref_ms: median(refMs), ratio: median(kilnMs) / median(refMs) });

try {
  const REF = "docker.io/library/bench:1";
  const stores = Array.from({ length: RUNS }, (_, i) => join(work, `store-${i}`));
  const store = stores[0]!;

  // One fresh store per run: nothing is deleted right before a timed run (ext4 here is slow to create files after that).
  const imports: number[] = [];
  const gzips: number[] = [];
  for (const s of stores) {
    imports.push(await timeCommand([kiln, "import", tar, "bench:1"], { env: env(s) }));
    gzips.push(await timeCommand(["sh", "-c", `gzip -c "$0" | sha256sum >/dev/null`, tar]));
  }
  row("import 256 MiB rootfs", imports, gzips, "gzip | sha256sum");

  const unpacks: number[] = [];
  const untars: number[] = [];
  for (const [i, root] of stores.entries()) {
    const s = await Store.open({ root });
    const image = await s.getImage("bench:1");
    unpacks.push(...(await timeRuns(() => s.prepareSnapshots(image), 1)));
    const blob = s.blobPath(image.manifest.layers[0]!.digest);
    s.close();
    const out = join(work, `untar-${i}`);
    mkdirSync(out);
    untars.push(await timeCommand(["tar", "-C", out, "-xzf", blob]));
  }
  // kiln import extracts the layer itself (as docker import does), so this is a
  // lookup now; the row stays to show a first build step pays nothing for it.
  row("prepareSnapshots after import", unpacks, untars, "tar -xzf of the same blob");

  const saves: number[] = [];
  const skopeoSaves: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    saves.push(await timeCommand([kiln, "save", "-o", join(work, `k${i}.tar`), "bench:1"], { env: env(store) }));
    skopeoSaves.push(await timeCommand(["skopeo", "copy", "-q", `oci:${store}:${REF}`, `docker-archive:${join(work, `s${i}.tar`)}:bench:1`]));
  }
  row("save docker-archive", saves, skopeoSaves, "skopeo copy oci → docker-archive");

  const loads: number[] = [];
  const skopeoLoads: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    loads.push(await timeCommand([kiln, "load", "-i", join(work, `k${i}.tar`)], { env: env(join(work, `load-${i}`)) }));
    skopeoLoads.push(await timeCommand(["skopeo", "copy", "-q", "--dest-compress", `docker-archive:${join(work, `s${i}.tar`)}`, `oci:${join(work, `oci-${i}`)}:${REF}`]));
  }
  row("load docker-archive", loads, skopeoLoads, "skopeo copy docker-archive → oci (gzip)");

  const lists: number[] = [];
  const inspects: number[] = [];
  const skopeoInspects: number[] = [];
  for (let i = 0; i < RUNS * 3; i++) {
    lists.push(await timeCommand([kiln, "images"], { env: env(store) }));
    inspects.push(await timeCommand([kiln, "inspect", "bench:1"], { env: env(store) }));
    skopeoInspects.push(await timeCommand(["skopeo", "inspect", `oci:${store}:${REF}`]));
  }
  const versions: number[] = [];
  for (let i = 0; i < RUNS * 3; i++) versions.push(await timeCommand([kiln, "--version"]));
  row("kiln --version (start-up only)", versions, skopeoInspects, "skopeo inspect oci:STORE:REF");
  row("kiln images", lists, skopeoInspects, "skopeo inspect oci:STORE:REF");
  row("kiln inspect", inspects, skopeoInspects, "skopeo inspect oci:STORE:REF");
  printTable(`store (${RUNS} runs, medians; rootfs ${rootDir})`, rows);
} finally {
  rmSync(work, { recursive: true, force: true });
}
