/**
 * What every stage of one build shares: the executor, the event sink, the
 * options of the command line, the build context (opened lazily), the step
 * log, and access to the other stages' results. builder.ts makes one.
 */
import type { ExpandOptions, Instruction } from "../dockerfile/index.ts";
import type { Platform } from "../image/index.ts";
import type { StepLog } from "./cache.ts";
import type { BuildContext } from "./context.ts";
import type { EventSink } from "./events.ts";
import type { BaseImage, Executor } from "./executor.ts";
import type { BuildSecrets } from "./secrets.ts";
import type { StageResult } from "./stage-runner.ts";

export interface StageEnv {
  exec: Executor;
  emit: EventSink;
  /** May this stage stream RUN output to fd 1 now (it owns the terminal)? */
  isLive(stage: number): boolean;
  quiet: boolean;
  noCache: boolean;
  network: "host" | "none";
  extraHosts: { host: string; ip: string }[];
  /** --allow security.insecure was given (RUN --security=insecure may run). */
  allowInsecure?: boolean;
  /** The platform stages build for unless FROM --platform says otherwise. */
  platform: Platform;
  parsePlatform(s: string): Platform;
  totalSteps: number;
  /** The build context dir on the host (undefined: no context, e.g. a Dockerfile on stdin). */
  contextDir: string | undefined;
  /** The context as COPY sees it (.dockerignore applied), opened on first use. */
  context(): BuildContext;
  stepLog: StepLog;
  expandOptions: ExpandOptions;
  /** Where RUN --mount=type=cache dirs live. */
  cacheMountRoot: string;
  /** What --secret and --ssh provide to RUN --mount=type=secret|ssh (none when absent). */
  secrets?: BuildSecrets;
  /** A temp dir for this build inside the store (removed at the end). */
  tempDir(): Promise<string>;
  /** `created` of new images and history entries (SOURCE_DATE_EPOCH when set). */
  now(): string;
  /** ARG names declared by built stages (for the unused --build-arg warning). */
  declaredArgs: Set<string>;
  /** The result of another stage (built concurrently; awaits it). */
  stageResult(index: number): Promise<StageResult>;
  /** Find a stage by name or index as `COPY --from` names it, if it is one. */
  stageIndex(ref: string): number | undefined;
  /** An image for FROM or COPY --from: from the store, pulled when allowed and missing. */
  resolveImage(ref: string, platform: Platform): Promise<BaseImage>;
  /** Turn a step's failure into a located error. */
  locate(err: unknown, inst: Instruction): unknown;
  /** Throws if another stage has failed (stop at the next step boundary). */
  checkAborted(): void;
}
