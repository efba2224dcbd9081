// One interface over the builders kiln is measured and checked against
// (Docker's classic builder, Buildah) and kiln itself (./kiln.ts), so that
// the differential conformance runner and the benchmarks drive them alike.
import { rmSync } from "node:fs";
import type { BaseImage } from "./base-images.ts";
import { startBuildah } from "./buildah.ts";
import { startDockerd } from "./dockerd.ts";

export type BuilderName = "docker" | "buildah" | "kiln";

export interface BuildRequest {
  context: string;
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  tag: string;
  buildArgs?: Record<string, string>;
  noCache?: boolean;
  /** Build-time bind mounts `HOST:CTR[:ro]` (buildah bud -v, kiln build -v; Docker has none). */
  volumes?: string[];
}

export interface BuildResult {
  ok: boolean;
  /** stdout and stderr of the build, for reports. */
  output: string;
}

export interface Builder {
  readonly name: BuilderName;
  /** Version of the builder, part of cache keys. */
  readonly version: string;
  /** Make these base images available under all their names, in addition to those loaded before (idempotent, not timed). */
  loadBases(bases: BaseImage[]): Promise<void>;
  build(req: BuildRequest): Promise<BuildResult>;
  /** Write `tag` to `file` as a docker-archive tar (`docker save` format). */
  save(tag: string, file: string): Promise<void>;
  /** Drop the build cache and built images, keeping (or restoring) the base images. */
  clearCache(): Promise<void>;
  close(): Promise<void>;
}

export type Opened = Builder | { skip: string };

/** `have` plus `more`, one entry per base key (the later wins). */
export function mergeBases(have: BaseImage[], more: BaseImage[]): BaseImage[] {
  return [...have.filter((b) => !more.some((m) => m.key === b.key)), ...more];
}

const argFlags = (args: Record<string, string> = {}) => Object.entries(args).flatMap(([k, v]) => ["--build-arg", `${k}=${v}`]);
export const volumeFlags = (volumes: string[] = []) => volumes.flatMap((v) => ["-v", v]);
const fail = (what: string, r: { exitCode: number; stderr: string }) => {
  if (r.exitCode !== 0) throw new Error(`${what} failed (${r.exitCode}): ${r.stderr.trim()}`);
};

/** Docker 20.10, classic builder (DOCKER_BUILDKIT=0), on a private dockerd: the oracle. */
export async function openDocker(opts: { cached?: boolean } = {}): Promise<Opened> {
  const d = await startDockerd(opts);
  if ("skip" in d) return d;
  const version = (await d.docker(["version", "--format", "{{.Server.Version}}"])).stdout.trim();
  let baseIds = new Set<string>();
  return {
    name: "docker",
    version: `docker ${version} classic`,
    async loadBases(bases) {
      const ids = new Set<string>();
      for (const b of bases) {
        // `docker import` keeps the tar as the layer, so its diff id is the rootfs digest:
        // an image with that layer and CMD is the one we made, and is kept (with Docker's cache).
        const cmd = b.changes.find((c) => c.startsWith("CMD "))?.slice(4) ?? "null";
        const want = `${JSON.stringify([b.digest])}|${JSON.stringify(JSON.parse(cmd))}`;
        const have = await d.docker(["image", "inspect", "--format", "{{json .RootFS.Layers}}|{{json .Config.Cmd}}", b.names[0]!]);
        if (have.exitCode !== 0 || have.stdout.trim() !== want) {
          const r = await d.docker(["import", ...b.changes.flatMap((c) => ["--change", c]), b.rootfs, b.names[0]!]);
          fail(`docker import ${b.names[0]}`, r);
        }
        for (const n of b.names.slice(1)) fail(`docker tag ${n}`, await d.docker(["tag", b.names[0]!, n]));
        ids.add((await d.docker(["image", "inspect", "--format", "{{.Id}}", b.names[0]!])).stdout.trim());
      }
      baseIds = new Set([...baseIds, ...ids]);
    },
    async build(req) {
      if (req.volumes?.length) return { ok: false, output: "docker build has no -v (build-time volumes)" };
      const r = await d.docker(["build", "--network", "host", "--rm", "--force-rm", ...(req.noCache ? ["--no-cache"] : []), "-t", req.tag, "-f", req.dockerfile, ...argFlags(req.buildArgs), req.context]);
      return { ok: r.exitCode === 0, output: r.stdout + r.stderr };
    },
    async save(tag, file) {
      rmSync(file, { force: true });
      fail(`docker save ${tag}`, await d.docker(["save", "-o", file, tag]));
    },
    async clearCache() {
      // Classic builder cache = intermediate images; everything but the bases goes.
      for (let round = 0; round < 3; round++) {
        const all = (await d.docker(["images", "-aq", "--no-trunc"])).stdout.split("\n").filter((id) => id && !baseIds.has(id));
        if (all.length === 0) break;
        await d.docker(["rmi", "-f", ...new Set(all)]);
      }
      await d.docker(["builder", "prune", "-af"]);
    },
    close: () => d.stop(),
  };
}

/** Buildah (`bud --layers`), private storage, docker format. */
export async function openBuildah(opts: { cached?: boolean } = {}): Promise<Opened> {
  const b = await startBuildah(opts);
  if ("skip" in b) return b;
  const version = (await b.buildah(["--version"])).stdout.trim();
  let loaded: BaseImage[] = [];
  const loadBases = async (bases: BaseImage[]) => {
    for (const base of bases) {
      const name = base.names[0]!;
      // A base is a container from scratch with the rootfs tar added (extracted) and the config changes.
      const exists = await b.buildah(["inspect", "--type", "image", "--format", "{{.FromImageID}}", name]);
      if (exists.exitCode !== 0) {
        const from = await b.buildah(["from", "--pull=never", "scratch"]);
        fail("buildah from scratch", from);
        const ctr = from.stdout.trim();
        fail("buildah add", await b.buildah(["add", ctr, base.rootfs, "/"]));
        for (const change of base.changes) {
          const [, kw, value] = /^(CMD|USER) (.*)$/.exec(change) ?? [];
          if (!kw) throw new Error(`buildah base ${name}: change ${change} is not handled`);
          fail("buildah config", await b.buildah(["config", kw === "CMD" ? "--cmd" : "--user", value!, ctr]));
        }
        fail("buildah commit", await b.buildah(["commit", "--format", "docker", "--rm", ctr, name]));
      }
      for (const n of base.names.slice(1)) fail(`buildah tag ${n}`, await b.buildah(["tag", name, n]));
    }
    loaded = mergeBases(loaded, bases);
  };
  return {
    name: "buildah",
    version,
    loadBases,
    async build(req) {
      const r = await b.bud([...(req.noCache ? ["--no-cache"] : []), "-t", req.tag, "-f", req.dockerfile, ...argFlags(req.buildArgs), ...volumeFlags(req.volumes), req.context]);
      return { ok: r.exitCode === 0, output: r.stdout + r.stderr };
    },
    save: (tag, file) => b.pushArchive(tag, file),
    async clearCache() {
      await b.removeAllImages();
      await loadBases(loaded);
    },
    close: () => b.stop(),
  };
}
