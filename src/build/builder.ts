/**
 * `kiln build` from a Dockerfile to a tagged image: parse, build the stage
 * graph (only the stages --target needs), run every needed stage at once —
 * each waits for the stages it uses, so independent stages run in parallel —
 * then tag. Output is events (progress.ts renders Docker's classic lines,
 * one stage at a time); side effects go through the Executor.
 */
import { join } from "node:path";
import { BuildError } from "../errors.ts";
import { buildStageGraph, lowerInstructions, parseDockerfile, PLATFORM_ARGS, type Instruction, type StageGraph } from "../dockerfile/index.ts";
import { familiarName, formatPlatform, hostPlatform, parsePlatform, parseReference, platformMatches, type Digest, type Platform } from "../image/index.ts";
import { declareMetaArg, newArgScope, unusedBuildArgs } from "./args.ts";
import type { BuildDb } from "./build-db.ts";
import { StepLog } from "./cache.ts";
import { BuildContext, type IgnoreMatcher } from "./context.ts";
import type { EventSink } from "./events.ts";
import type { BaseImage, Executor } from "./executor.ts";
import { HashCache } from "./hash-cache.ts";
import type { BuildSecrets } from "./secrets.ts";
import type { StageEnv } from "./stage-env.ts";
import { locateStepError, StageRunner, type StageResult } from "./stage-runner.ts";

export interface BuildRequest {
  dockerfile: { text: string; name: string };
  /** The context dir on the host; undefined when there is none (Dockerfile from stdin). */
  contextDir: string | undefined;
  ignore?: IgnoreMatcher;
  /** A temp context (unpacked tar, URL): its file hashes are not kept for the next build, which gets a new dir. */
  ephemeral?: boolean;
  tags: string[];
  /** `K=V`, or `K` to take K from `env`. */
  buildArgs: string[];
  env: Record<string, string | undefined>;
  target?: string;
  noCache: boolean;
  pull: boolean;
  labels: [string, string][];
  network: "host" | "none";
  platform?: string;
  extraHosts: { host: string; ip: string }[];
  quiet: boolean;
  /** --secret / --ssh (build/secrets.ts parseBuildSecrets). */
  secrets?: BuildSecrets;
  /** --allow security.insecure: RUN --security=insecure may run privileged. */
  allowInsecure?: boolean;
}

export interface BuildDeps {
  exec: Executor;
  emit: EventSink;
  isLive(stage: number): boolean;
  /** Called with the stages in build order before the first event, and as each one ends (`failed`: with an error). */
  onStages?(order: number[]): void;
  onStageDone?(stage: number, failed: boolean): void;
  db: BuildDb;
  /** A temp dir inside the store for this build; removed by the caller. */
  tempDir(): Promise<string>;
  cacheMountRoot: string;
}

function creationTime(env: Record<string, string | undefined>): () => string {
  const epoch = env.SOURCE_DATE_EPOCH;
  if (epoch && /^\d+$/.test(epoch)) {
    const fixed = new Date(Number(epoch) * 1000).toISOString();
    return () => fixed;
  }
  return () => new Date().toISOString();
}

function parse(req: BuildRequest): { instructions: Instruction[]; graph: StageGraph; escape: "\\" | "`" } {
  const src = { file: req.dockerfile.name, source: req.dockerfile.text };
  const parsed = parseDockerfile(req.dockerfile.text);
  const instructions = lowerInstructions(parsed, src);
  const buildArgs: Record<string, string> = {};
  for (const a of req.buildArgs) {
    const eq = a.indexOf("=");
    const v = eq === -1 ? req.env[a] : a.slice(eq + 1);
    if (v !== undefined) buildArgs[eq === -1 ? a : a.slice(0, eq)] = v;
  }
  const host = hostPlatform();
  const target = req.platform ? parsePlatform(req.platform) : host;
  const graph = buildStageGraph(instructions, { ...src, target: req.target, buildArgs, targetPlatform: target, buildPlatform: host, escape: parsed.escape });
  return { instructions, graph, escape: parsed.escape };
}

/** Build; resolves to the final image id. */
export async function runBuild(req: BuildRequest, deps: BuildDeps): Promise<{ id: Digest }> {
  const platform = req.platform ? parsePlatform(req.platform) : hostPlatform();
  if (!platformMatches(hostPlatform(), platform)) {
    throw new BuildError("E_PLATFORM", `kiln builds for this host's platform (${formatPlatform(hostPlatform())}), not ${formatPlatform(platform)}`, { hint: "drop --platform, or build on a machine of that platform" });
  }
  const { graph, escape } = parse(req);
  let args = newArgScope(req.buildArgs, req.env);
  // The global scope as BuildKit and Buildah have it: the platform args (TARGETPLATFORM…) are
  // predefined there, so FROM lines use them and a stage's `ARG TARGETARCH` gets the value;
  // RUN sees one only when its stage declares it. Docker 20.10's classic builder leaves them
  // unset (README: Differences from Docker). Then the Dockerfile's own global ARGs.
  for (const k of PLATFORM_ARGS) args = declareMetaArg(args, k, graph.metaEnv[k]);
  for (const a of graph.metaArgs) for (const d of a.args) args = declareMetaArg(args, d.key, graph.metaEnv[d.key]);

  // Step numbers: global ARGs first, then each built stage's FROM and instructions, the --label steps last.
  let n = 0;
  const metaSteps = graph.metaArgs.map((a) => ({ n: ++n, text: a.original.trim() }));
  const numbers = new Map<number, number[]>();
  for (const s of graph.order) {
    const extra = s === graph.target ? req.labels.length : 0;
    numbers.set(s, Array.from({ length: graph.stages[s]!.instructions.length + 1 + extra }, () => ++n));
  }
  const declaredArgs = new Set<string>(graph.metaArgs.flatMap((a) => a.args.map((d) => d.key)));
  const results = new Map<number, Promise<StageResult>>();
  let failed: unknown;
  let tmp: Promise<string> | undefined;
  let context: BuildContext | undefined;

  const env: StageEnv = {
    exec: deps.exec,
    emit: deps.emit,
    isLive: deps.isLive,
    quiet: req.quiet,
    noCache: req.noCache,
    network: req.network,
    extraHosts: req.extraHosts,
    allowInsecure: req.allowInsecure === true,
    platform,
    parsePlatform,
    totalSteps: n,
    contextDir: req.contextDir,
    context: () => {
      if (!req.contextDir) throw new BuildError("E_BUILD_CONTEXT", "COPY and ADD need a build context, and there is none", { hint: "pass a context directory instead of a Dockerfile on stdin" });
      return (context ??= new BuildContext(req.contextDir, req.ignore, new HashCache(deps.db, { persist: req.ephemeral !== true })));
    },
    stepLog: new StepLog(deps.db),
    expandOptions: { escape, file: req.dockerfile.name, source: req.dockerfile.text },
    cacheMountRoot: deps.cacheMountRoot,
    secrets: req.secrets,
    tempDir: async () => {
      const { mkdtemp } = await import("node:fs/promises");
      return mkdtemp(join(await (tmp ??= deps.tempDir()), "step-"));
    },
    now: creationTime(req.env),
    declaredArgs,
    stageResult: (i) => {
      const r = results.get(i);
      if (!r) throw new BuildError("E_INTERNAL", `stage ${i} is not part of this build`);
      return r;
    },
    stageIndex: (ref) => {
      const lower = ref.toLowerCase();
      const byName = graph.stages.find((s) => s.name === lower);
      if (byName) return byName.index;
      return /^\d+$/.test(ref) && Number(ref) < graph.stages.length ? Number(ref) : undefined;
    },
    resolveImage: (ref, p) => resolveImage(deps.exec, ref, p, req.pull),
    locate: (err, inst) => locateStepError(err, inst, req.dockerfile.name, req.dockerfile.text),
    checkAborted: () => {
      if (failed !== undefined) throw new BuildError("E_BUILD", "stopped: another stage failed");
    },
  };

  deps.onStages?.(graph.order);
  for (const s of metaSteps) deps.emit({ type: "step", stage: graph.order[0] ?? 0, n: s.n, total: n, text: s.text });
  for (const s of graph.order) {
    const stage = graph.stages[s]!;
    const runner = new StageRunner(env, stage, numbers.get(s)!, args, s === graph.target ? req.labels : []);
    const p = runner.run().then(
      (r) => {
        deps.onStageDone?.(s, false);
        return r;
      },
      (err) => {
        failed ??= err;
        deps.onStageDone?.(s, true);
        throw err;
      },
    );
    p.catch(() => {});
    results.set(s, p);
  }
  await Promise.allSettled(results.values());
  context?.flushHashes();
  if (failed !== undefined) throw failed;

  const final = await results.get(graph.target)!;
  if (!final.id) throw new BuildError("E_BUILD", "No image was generated. Is your Dockerfile empty?", { hint: "add an instruction after FROM scratch" });
  const unused = unusedBuildArgs(new Map(req.buildArgs.map((a) => [a.split("=", 1)[0]!, true])), declaredArgs);
  if (unused.length > 0) deps.emit({ type: "warning", text: `One or more build-args [${unused.join(" ")}] were not consumed` });
  deps.emit({ type: "built", id: final.id });
  for (const t of req.tags) {
    await deps.exec.tag(final.id, t);
    deps.emit({ type: "tagged", name: familiarName(parseReference(t)) });
  }
  return { id: final.id };
}

/** FROM / COPY --from an image: the local one, or pulled (when missing, or always with --pull). */
async function resolveImage(exec: Executor, ref: string, platform: Platform, pull: boolean): Promise<BaseImage> {
  if (pull && exec.pull) return exec.pull(ref, platform);
  const local = await exec.findImage(ref);
  if (local) {
    const have = { os: local.config.os, architecture: local.config.architecture, variant: local.config.variant };
    if (!platformMatches(have, platform)) {
      throw new BuildError("E_PLATFORM", `image ${ref} is ${formatPlatform(have)}, not ${formatPlatform(platform)}`, { hint: `pull or import ${ref} for ${formatPlatform(platform)}` });
    }
    return local;
  }
  if (exec.pull) return exec.pull(ref, platform);
  throw new BuildError("E_IMAGE_NOT_FOUND", `image "${ref}" is not in the local store, and this kiln cannot pull`, {
    hint: `import a root filesystem under that name (kiln import rootfs.tar ${ref}) or pull it (kiln pull ${ref})`,
  });
}
