// Layer codec speed: diffUpperDir + encodeLayer (gzip) of a 512 MiB tree —
// half random bytes, half zeros, in realistic file sizes (4096 × 8 KiB,
// 96 × 1 MiB, 4 × 32 MiB per half) — to a sink that hashes the blob as the
// store does, against `tar -c | gzip` of the same tree in the same run.
// Targets: ratio ≤ 1.0 and kiln's peak RSS < 200 MiB (VmHWM of a child process
// that does nothing else). The tree is made once and kept (ext4 here is slow
// to create files right after deleting many).
//
//   node_modules/.bin/bun run bench/codec.bench.ts     (KILN_BENCH_RUNS=3, KILN_BENCH_DIR=/var/tmp)
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { diffUpperDir, encodeLayer, type LayerCompression } from "../src/layer/index.ts";
import { gzipParallel } from "../src/layer/gzip-parallel.ts";
import { Sha256Stream } from "../src/util/digest.ts";
import { median, printTable } from "./lib.ts";

const MiB = 1 << 20;
const RUNS = Number(process.env.KILN_BENCH_RUNS ?? 3);
const TREE = join(process.env.KILN_BENCH_DIR ?? "/var/tmp", "kiln-bench-codec", "tree-512m-v1");

/**
 * Child mode: one diff+encode of `tree`, blob hashed and dropped; prints figures as JSON.
 * "gzip-deflate-all" is gzip without storing incompressible blocks (for information:
 * what the parallel deflate alone achieves).
 */
async function runChild(tree: string, mode: LayerCompression | "gzip-deflate-all"): Promise<void> {
  const t0 = performance.now();
  const tar = diffUpperDir(tree, { lowerDirs: [], xattrNamespace: "trusted", sourceDateEpoch: 0 });
  const enc = mode === "gzip-deflate-all" ? { ...encodeLayer(tar, "none"), mediaType: "" } : encodeLayer(tar, mode);
  if (mode === "gzip-deflate-all") enc.stream = gzipParallel(enc.stream, { adaptive: false });
  const blob = new Sha256Stream();
  for await (const chunk of enc.stream) blob.update(chunk);
  const { diffId, uncompressedSize } = await enc.done;
  const ms = performance.now() - t0;
  const hwm = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"))?.[1] ?? 0) * 1024;
  console.log(JSON.stringify({ ms, blobSize: blob.size, blobDigest: blob.digest(), diffId, uncompressedSize, peakRss: hwm }));
}

/** Fill `path` with `size` bytes: random (seeded per file, fast) or zeros. */
function writeData(path: string, size: number, random: boolean, seed: number): void {
  const buf = new Uint8Array(size);
  if (random) {
    // xorshift32, 4 bytes at a time: incompressible for deflate, far faster than /dev/urandom here.
    const words = new Uint32Array(buf.buffer);
    let x = seed | 1;
    for (let i = 0; i < words.length; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      words[i] = x;
    }
  }
  writeFileSync(path, buf);
}

function makeTree(root: string): void {
  if (existsSync(join(root, ".complete"))) return;
  console.error(`making the 512 MiB benchmark tree in ${root} (once) …`);
  let seed = 1;
  for (const half of ["random", "zeros"]) {
    const sizes = [...Array(4096).fill(8 * 1024), ...Array(96).fill(MiB), ...Array(4).fill(32 * MiB)] as number[];
    sizes.forEach((size, i) => {
      const dir = join(root, half, `d${String(Math.floor(i / 100)).padStart(2, "0")}`);
      mkdirSync(dir, { recursive: true });
      writeData(join(dir, `f${i}.bin`), size, half === "random", seed++ * 2654435761);
    });
  }
  writeFileSync(join(root, ".complete"), "");
}

async function spawnJson(argv: string[]): Promise<Record<string, number | string>> {
  const p = Bun.spawn(argv, { stdout: "pipe", stderr: "inherit" });
  const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  if (code !== 0) throw new Error(`${argv.join(" ")} exited ${code}`);
  return JSON.parse(out.trim().split("\n").pop()!);
}

/** `tar -c | gzip` of the tree, output counted; wall time in ms and compressed size. */
async function runReference(tree: string): Promise<{ ms: number; size: number }> {
  const t0 = performance.now();
  const p = Bun.spawn(["sh", "-c", `tar -cf - -C '${tree}' . | gzip | wc -c`], { stdout: "pipe" });
  const [out, code] = await Promise.all([new Response(p.stdout).text(), p.exited]);
  if (code !== 0) throw new Error(`tar | gzip exited ${code}`);
  return { ms: performance.now() - t0, size: Number(out.trim()) };
}

if (process.argv[2] === "--child") {
  await runChild(process.argv[3]!, (process.argv[4] ?? "gzip") as LayerCompression | "gzip-deflate-all");
} else {
  makeTree(TREE);
  const self = [process.execPath, import.meta.path, "--child", TREE];
  const kiln: Record<string, number | string>[] = [];
  const ref: { ms: number; size: number }[] = [];
  for (let i = 0; i < RUNS; i++) {
    // Interleaved, so that both see the same machine state.
    kiln.push(await spawnJson([...self, "gzip"]));
    ref.push(await runReference(TREE));
  }
  const zstd = await spawnJson([...self, "zstd"]);
  const full = await spawnJson([...self, "gzip-deflate-all"]);
  const kMs = median(kiln.map((r) => Number(r.ms)));
  const rMs = median(ref.map((r) => r.ms));
  const mb = Number(kiln[0]!.uncompressedSize) / MiB;
  const rss = Math.max(...kiln.map((r) => Number(r.peakRss))) / MiB;
  printTable(`layer codec: diff + encode of a ${Math.round(mb)} MiB tree (median of ${RUNS})`, [
    { name: "kiln diffUpperDir+encodeLayer gzip", seconds: kMs / 1000, "MiB/s": mb / (kMs / 1000), "blob MiB": Number(kiln[0]!.blobSize) / MiB, "peak RSS MiB": rss },
    { name: "tar -c | gzip (reference)", seconds: rMs / 1000, "MiB/s": mb / (rMs / 1000), "blob MiB": ref[0]!.size / MiB, "peak RSS MiB": "-" },
    { name: "kiln zstd (info, 1 run)", seconds: Number(zstd.ms) / 1000, "MiB/s": mb / (Number(zstd.ms) / 1000), "blob MiB": Number(zstd.blobSize) / MiB, "peak RSS MiB": Number(zstd.peakRss) / MiB },
    { name: "kiln gzip, every block deflated (info, 1 run)", seconds: Number(full.ms) / 1000, "MiB/s": mb / (Number(full.ms) / 1000), "blob MiB": Number(full.blobSize) / MiB, "peak RSS MiB": Number(full.peakRss) / MiB },
  ]);
  printTable("ratios (target: time ≤ 1.00, RSS < 200 MiB)", [
    { name: "kiln gzip time / tar|gzip time", ratio: kMs / rMs },
    { name: "kiln gzip blob size / tar|gzip size", ratio: Number(kiln[0]!.blobSize) / ref[0]!.size },
    { name: "kiln peak RSS MiB", ratio: rss },
  ]);
}
