// Buildah as a second reference builder (for what Docker 20.10's classic
// builder lacks: heredocs, RUN --mount), in its own storage root so the
// host's containers/storage is never touched. Fixed choices, and why:
// - `--runtime runc`: crun fails on this host's cgroup v1 setup;
// - `--storage-driver overlay` on a root dir of its own (vfs when overlay is refused);
// - `--format docker`: OCI configs drop ONBUILD, HEALTHCHECK and SHELL;
// - `--pull=never`: no registry is reachable; bases are made locally;
// - `--network host`: no CNI networks are ever created.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { capture, which, type Captured } from "../../src/util/spawn.ts";
import { tryLock, unmountAll } from "./host.ts";

/** The storage root kept between runs (layer cache and base images survive). */
export const CACHED_BUILDAH_ROOT = "/var/tmp/kiln-ref-buildah";

export interface Buildah {
  root: string;
  /** Run buildah with this instance's storage and config. */
  buildah(args: string[], opts?: { cwd?: string; env?: Record<string, string> }): Promise<Captured>;
  /** `buildah bud` with the fixed flags above prepended to `args`. */
  bud(args: string[], opts?: { cwd?: string }): Promise<Captured>;
  /** Export an image to a docker-archive tar (what `docker save` writes). */
  pushArchive(image: string, file: string): Promise<void>;
  /** Remove every image (a cold cache for benchmarks). */
  removeAllImages(): Promise<void>;
  /** Unmount what buildah left, release or remove the root. Idempotent. */
  stop(): Promise<void>;
}

/** Why buildah cannot run here, or undefined when it can. */
export function buildahUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "the reference Buildah runs as root (run as root)";
  if (!which("buildah")) return "buildah is not installed (apt-get install buildah)";
  if (!which("runc")) return "runc is not installed (apt-get install runc)";
  return undefined;
}

/** Start using a private Buildah storage (kept between runs unless cached: false or KILN_REF_CACHE=0); `{ skip }` says why it cannot run here. */
export async function startBuildah(opts: { cached?: boolean } = {}): Promise<Buildah | { skip: string }> {
  const missing = buildahUnavailable();
  if (missing) return { skip: missing };
  const exe = which("buildah")!;
  const cached = opts.cached ?? process.env.KILN_REF_CACHE !== "0";
  const release = cached ? tryLock(CACHED_BUILDAH_ROOT) : undefined;
  const base = release ? CACHED_BUILDAH_ROOT : mkdtempSync("/var/tmp/kiln-ref-buildah-tmp-");
  const root = join(base, "root");
  const runroot = mkdtempSync("/tmp/kb-");
  mkdirSync(root, { recursive: true });
  const registries = join(runroot, "registries.conf");
  writeFileSync(registries, 'unqualified-search-registries = ["docker.io"]\nshort-name-mode = "permissive"\n');

  let driver = "overlay";
  const global = () => ["--root", root, "--runroot", runroot, "--storage-driver", driver, "--registries-conf", registries];
  const env = { PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", HOME: runroot, BUILDAH_ISOLATION: "oci" };
  const buildah = (args: string[], o: { cwd?: string; env?: Record<string, string> } = {}) =>
    capture([exe, ...global(), ...args], { cwd: o.cwd, env: { ...env, ...o.env } });

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await buildah(["rm", "--all"]);
    await unmountAll([root, runroot]);
    rmSync(runroot, { recursive: true, force: true });
    if (release) release();
    else rmSync(base, { recursive: true, force: true });
  };

  // A root first used with vfs stays vfs; a fresh one tries overlay, then vfs.
  if ((await buildah(["images", "-q"])).exitCode !== 0) {
    driver = "vfs";
    const r = await buildah(["images", "-q"]);
    if (r.exitCode !== 0) {
      await stop();
      return { skip: `buildah cannot open its storage: ${r.stderr.trim()}` };
    }
  }

  return {
    root,
    buildah,
    bud: (args, o = {}) =>
      buildah(["bud", "--layers", "--network", "host", "--runtime", "runc", "--pull=never", "--format", "docker", ...args], o),
    async pushArchive(image, file) {
      if (existsSync(file)) rmSync(file);
      const r = await buildah(["push", image, `docker-archive:${file}:${image}`]);
      if (r.exitCode !== 0) throw new Error(`buildah push ${image}: ${r.stderr.trim()}`);
    },
    async removeAllImages() {
      await buildah(["rm", "--all"]);
      await buildah(["rmi", "--all", "--force"]);
    },
    stop,
  };
}
