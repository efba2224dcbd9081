// kiln as a Builder, driven only through its command line (dist/kiln), the
// way a user drives it: `kiln import` for base images, `kiln build`,
// `kiln save`. Every instance has a private store (KILN_ROOT), never
// /var/lib/kiln. While `kiln build` (or import/save) is not implemented yet,
// openKiln() returns `{ skip }` saying which command is missing.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { capture, type Captured } from "../../src/util/spawn.ts";
import { cleanEnv, kilnExe } from "../harness.ts";
import type { BaseImage } from "./base-images.ts";
import { mergeBases, volumeFlags, type BuildRequest, type Opened } from "./builders.ts";

const NOT_IMPLEMENTED = /not (yet )?implemented|E_NOT_IMPLEMENTED/i;

export interface KilnOptions {
  /** Store directory; a temp dir under /var/tmp (removed by close) when absent. clearCache() moves to a fresh one. */
  root?: string;
  /** The kiln executable (default: dist/kiln, built if stale). */
  exe?: string;
}

/** Is each command kiln needs here implemented, and does a trivial build + save work? */
async function probe(run: (args: string[]) => Promise<Captured>, scratch: string): Promise<string | undefined> {
  for (const cmd of ["import", "build", "save", "tag"]) {
    // Placeholders describe themselves as "(not yet implemented)" in their help.
    const help = await run([cmd, "--help"]);
    if (NOT_IMPLEMENTED.test(help.stdout + help.stderr)) return `'kiln ${cmd}' is not implemented yet`;
  }
  const ctx = join(scratch, "probe");
  mkdirSync(ctx, { recursive: true });
  await Bun.write(join(ctx, "Dockerfile"), "FROM scratch\nLABEL probe=1\n");
  for (const args of [["build", "-t", "kiln-probe:latest", ctx], ["save", "-o", join(scratch, "probe.tar"), "kiln-probe:latest"]]) {
    const r = await run(args);
    if (r.exitCode !== 0) return `'kiln ${args.join(" ")}' failed: ${r.stderr.trim().split("\n").slice(-3).join(" / ")}`;
  }
  await run(["rmi", "kiln-probe:latest"]);
  return undefined;
}

/** kiln, built from this checkout, with a private store. */
export async function openKiln(opts: KilnOptions = {}): Promise<Opened> {
  let exe: string;
  try {
    exe = opts.exe ?? kilnExe();
  } catch (err) {
    return { skip: `dist/kiln could not be built: ${(err as Error).message.split("\n")[0]}` };
  }
  if (!existsSync(exe)) return { skip: `${exe} does not exist (make build)` };
  const scratch = mkdtempSync("/var/tmp/kiln-ref-kiln-");
  // Run a private copy: dist/kiln may be rebuilt (replaced) while a long run is under way.
  copyFileSync(exe, join(scratch, "kiln"));
  chmodSync(join(scratch, "kiln"), 0o755);
  exe = join(scratch, "kiln");
  let root = opts.root ?? join(scratch, "root-0");
  let generation = 0;
  mkdirSync(root, { recursive: true });
  const run = (args: string[]) => capture([exe, ...args], { env: cleanEnv({ KILN_ROOT: root }) });
  const close = async () => rmSync(scratch, { recursive: true, force: true });

  const missing = await probe(run, scratch);
  if (missing) {
    await close();
    return { skip: missing };
  }
  const version = (await run(["version"])).stdout.trim().split("\n")[0] ?? "kiln";
  let loaded: BaseImage[] = [];
  const loadBases = async (bases: BaseImage[]) => {
    for (const b of bases) {
      const name = b.names[0]!;
      if ((await run(["inspect", name])).exitCode !== 0) {
        const r = await run(["import", ...b.changes.flatMap((c) => ["--change", c]), b.rootfs, name]);
        if (r.exitCode !== 0) throw new Error(`kiln import ${name} failed: ${r.stderr.trim()}`);
      }
      for (const n of b.names.slice(1)) {
        const r = await run(["tag", name, n]);
        if (r.exitCode !== 0) throw new Error(`kiln tag ${name} ${n} failed: ${r.stderr.trim()}`);
      }
    }
    loaded = mergeBases(loaded, bases);
  };

  return {
    name: "kiln",
    version,
    loadBases,
    async build(req: BuildRequest) {
      const args = Object.entries(req.buildArgs ?? {}).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
      const r = await run(["build", "--network", "host", ...(req.noCache ? ["--no-cache"] : []), "-t", req.tag, "-f", req.dockerfile, ...args, ...volumeFlags(req.volumes), req.context]);
      return { ok: r.exitCode === 0, output: r.stdout + r.stderr };
    },
    async save(tag, file) {
      rmSync(file, { force: true });
      const r = await run(["save", "-o", file, tag]);
      if (r.exitCode !== 0) throw new Error(`kiln save ${tag} failed: ${r.stderr.trim()}`);
    },
    async clearCache() {
      // A fresh empty store (bases re-imported, untimed): nothing cached can
      // survive, and no large tree is deleted right before a timed run.
      root = join(scratch, `root-${++generation}`);
      mkdirSync(root, { recursive: true });
      await loadBases(loaded);
    },
    close,
  };
}
