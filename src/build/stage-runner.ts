/**
 * Runs one stage, step by step, the way Docker's classic builder dispatches
 * (builder/dockerfile/evaluator.go + dispatchers.go): expand the instruction
 * with the step's environment, work out what it means (state.ts, step-*.ts),
 * derive its cache key, and only on a miss ask the Executor for a container,
 * a copy or a commit. A cache hit costs one lookup and no I/O: the image
 * record of a cached step is read only when a later step misses.
 */
import { BuildError, DockerfileError, KilnError } from "../errors.ts";
import {
  expandInstruction,
  lowerInstructions,
  parseDockerfile,
  renderSnippet,
  type Instruction,
  type Stage,
} from "../dockerfile/index.ts";
import { formatPlatform, type ContainerConfig, type Digest, type Platform } from "../image/index.ts";
import type { ImageRecord } from "../store/index.ts";
import { allowedArgs, enterStage, type ArgScope } from "./args.ts";
import { cacheKey, type StepInputs } from "./cache.ts";
import type { StageEnv } from "./stage-env.ts";
import type { BaseImage, StepLayer } from "./executor.ts";
import { applyMeta, beginStage, nopCreatedBy, type StageState } from "./state.ts";
import { runCopyStep } from "./step-copy.ts";
import { metaChangeOf } from "./step-meta.ts";
import { runRunStep } from "./step-run.ts";

/** What a finished stage hands to the stages that use it. */
export interface StageResult {
  id: Digest | undefined;
  record(): Promise<ImageRecord | undefined>;
}

/** A step whose effect is computed on a miss; `createdBy` may be known only afterwards (COPY --from). */
interface StepSpec {
  /** The command part of the cache key (usually the history created_by). */
  command: string;
  config: ContainerConfig;
  extra?: Record<string, string>;
  sources?: Record<string, string>;
  perform?: (parent: ImageRecord | undefined) => Promise<{ layer?: StepLayer; createdBy?: string }>;
}

export class StageRunner {
  state!: StageState;
  platform!: Platform;
  private id: Digest | undefined;
  private loaded: ImageRecord | undefined;

  constructor(
    readonly env: StageEnv,
    readonly stage: Stage,
    private readonly stepNumbers: number[],
    private readonly args: ArgScope,
    private readonly extraLabels: [string, string][],
  ) {}

  get index(): number {
    return this.stage.index;
  }

  /** The record of the current image (read from the store only when needed). */
  async record(): Promise<ImageRecord | undefined> {
    if (this.id && this.loaded?.id !== this.id) this.loaded = await this.env.exec.getImage(this.id);
    return this.id ? this.loaded : undefined;
  }

  async run(): Promise<StageResult> {
    const { stage } = this;
    this.printStep(0, stage.from.original);
    await this.located(stage.from, () => this.from());
    for (const [i, inst] of stage.instructions.entries()) {
      this.env.checkAborted();
      this.printStep(i + 1, inst.original);
      await this.located(inst, () => this.dispatch(inst));
    }
    for (const [j, [k, v]] of this.extraLabels.entries()) {
      this.printStep(stage.instructions.length + 1 + j, `LABEL ${k}=${v}`);
      await this.meta({ kind: "LABEL", pairs: [[k, v]] });
    }
    return { id: this.id, record: () => this.record() };
  }

  private printStep(i: number, text: string): void {
    this.env.emit({ type: "step", stage: this.index, n: this.stepNumbers[i]!, total: this.env.totalSteps, text: text.trim() });
  }

  /** Pin any failure of a step to its Dockerfile line. */
  private async located(inst: Instruction, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      throw this.env.locate(err, inst);
    }
  }

  private async from(): Promise<void> {
    const { stage, env } = this;
    const requested = stage.platform ? env.parsePlatform(stage.platform) : env.platform;
    let base: BaseImage | undefined;
    if (stage.base.kind === "stage") {
      const r = await env.stageResult(stage.base.stage);
      this.id = r.id;
      this.loaded = await r.record();
      base = this.loaded;
    } else if (stage.base.kind === "image") {
      // Only the id and config: the full record is read when a step misses the cache.
      base = await env.resolveImage(stage.baseName, requested);
      this.id = base.id;
    }
    this.platform = base ? { os: base.config.os, architecture: base.config.architecture, ...(base.config.variant ? { variant: base.config.variant } : {}) } : requested;
    const begun = beginStage(base?.config.config, enterStage(this.args));
    this.state = begun.state;
    env.emit({ type: "image", stage: this.index, id: this.id ?? "" });
    if (begun.triggers.length > 0) await this.runTriggers(begun.triggers);
  }

  /** ONBUILD triggers of the base run right after FROM, without Step lines. */
  private async runTriggers(triggers: string[]): Promise<void> {
    const n = triggers.length;
    this.env.emit({ type: "note", stage: this.index, text: `# Executing ${n} build trigger${n > 1 ? "s" : ""}` });
    for (const text of triggers) {
      const parsed = parseDockerfile(text);
      for (const inst of lowerInstructions(parsed, { file: "ONBUILD", source: text })) {
        if (inst.kind === "FROM" || inst.kind === "ONBUILD" || inst.kind === "MAINTAINER") {
          throw new BuildError("E_BUILD", `${inst.kind} isn't allowed as an ONBUILD trigger`, { hint: "remove it from the base image's ONBUILD" });
        }
        await this.dispatch(inst);
      }
    }
  }

  /** The environment words are expanded with: ENV, then build args ENV does not shadow. */
  private expansionEnv(): Map<string, string> {
    const m = new Map<string, string>();
    const env = this.state.config.Env ?? [];
    for (const kv of [...env, ...allowedArgs(this.state.args, env)]) {
      const eq = kv.indexOf("=");
      if (eq > 0 && !m.has(kv.slice(0, eq))) m.set(kv.slice(0, eq), kv.slice(eq + 1));
    }
    return m;
  }

  async dispatch(raw: Instruction): Promise<void> {
    const inst = expandInstruction(raw, this.expansionEnv(), this.env.expandOptions).instruction;
    switch (inst.kind) {
      case "FROM":
        throw new BuildError("E_BUILD", "FROM inside a stage", { hint: "a FROM starts a new stage" });
      case "RUN":
        return runRunStep(this, inst);
      case "COPY":
      case "ADD":
        return runCopyStep(this, inst);
      default: {
        const change = metaChangeOf(inst);
        if (!change) throw new BuildError("E_INTERNAL", `no step for ${inst.kind}`);
        if (change.kind === "ARG") for (const a of change.args) this.env.declaredArgs.add(a.key);
        return this.meta(change);
      }
    }
  }

  private async meta(change: NonNullable<ReturnType<typeof metaChangeOf>>): Promise<void> {
    const r = applyMeta(this.state, change);
    if (r.note) this.env.emit({ type: "note", stage: this.index, text: r.note });
    const createdBy = nopCreatedBy(r.state.config, r.comment, r.nopStyle);
    const workdir = r.state.config.WorkingDir;
    await this.commitStep({
      command: createdBy,
      config: r.state.config,
      perform: change.kind === "WORKDIR" && workdir ? async (parent) => ({ layer: await this.env.exec.mkdir(parent, workdir) }) : undefined,
    }, r.state);
  }

  /** Cache lookup, and on a miss: perform, commit, remember. */
  async commitStep(spec: StepSpec, next: StageState): Promise<void> {
    const { env } = this;
    const inputs: StepInputs = {
      parent: this.id ?? `scratch:${formatPlatform(this.platform)}`,
      command: spec.command,
      config: spec.config,
      ...(spec.extra && Object.keys(spec.extra).length ? { extra: spec.extra } : {}),
      ...(spec.sources ? { sources: spec.sources } : {}),
    };
    const key = cacheKey(inputs);
    if (!env.noCache) {
      const hit = env.exec.cacheGet(key);
      if (hit) {
        env.emit({ type: "cache-hit", stage: this.index });
        env.emit({ type: "debug", stage: this.index, text: `cache hit ${key.slice(7, 19)} → ${hit.slice(7, 19)}` });
        this.id = hit;
        this.state = next;
        env.emit({ type: "image", stage: this.index, id: hit });
        return;
      }
      env.emit({ type: "debug", stage: this.index, text: `cache miss: ${env.stepLog.explainMiss(inputs)}` });
    }
    const t0 = performance.now();
    const parent = await this.record();
    const done = spec.perform ? await spec.perform(parent) : {};
    const created = env.now();
    const author = next.maintainer;
    const record = await env.exec.commit({
      parent,
      platform: this.platform,
      config: spec.config,
      created,
      author,
      layer: done.layer,
      history: { created, created_by: done.createdBy ?? spec.command, ...(author ? { author } : {}), ...(done.layer ? {} : { empty_layer: true }) },
    });
    env.exec.cachePut(key, record.id);
    env.stepLog.record(key, inputs);
    this.id = record.id;
    this.loaded = record;
    this.state = next;
    env.emit({ type: "image", stage: this.index, id: record.id, ms: performance.now() - t0 });
  }
}

/** A step's error as a DockerfileError on its line, with the `>>>` snippet (kept as it is when already located). */
export function locateStepError(err: unknown, inst: Instruction, file: string, source?: string): unknown {
  let located: DockerfileError;
  if (err instanceof DockerfileError && err.range) located = err;
  else if (err instanceof KilnError) located = new DockerfileError(err.message, inst.range, { code: err.code, hint: err.hint, cause: err, file, exitCode: err.exitCode });
  else return err;
  if (!located.snippet && source !== undefined && located.range) located.snippet = renderSnippet(source, located.range);
  return located;
}
