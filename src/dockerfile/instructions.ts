// Typed instructions: one record per Dockerfile instruction, discriminated on
// `kind`. Values are RAW (as written, quotes included): variables are expanded
// at build time with the environment current at that step, by
// expandInstruction() (expand.ts). Fields that Docker expands are marked
// "expanded"; everything else is taken literally.
import type { LineRange } from "../errors.ts";
import type { Heredoc } from "./heredoc.ts";

/** What every instruction carries. */
export interface InstructionBase {
  range: LineRange;
  /** The logical line as written, continuations joined (BuildKit's `Original`). */
  original: string;
  /** The keyword as written (`RUN`, `run`). */
  keyword: string;
  /** Raw `--flag[=value]` words. */
  flags: string[];
  /** Comment lines right above the instruction. */
  comments: string[];
}

/** Command line of RUN, CMD and ENTRYPOINT. */
export interface CommandLine {
  /** Exec form: the argv. Shell form: one string, to be run by the SHELL (default `/bin/sh -c`). */
  cmdLine: string[];
  /** Shell form: prepend the stage's SHELL. */
  prependShell: boolean;
  /** Written as a JSON array. */
  json: boolean;
}

/** `KEY=value` of ENV and LABEL. */
export interface KeyValue {
  key: string;
  value: string;
  /** Written in the legacy `KEY value` form. */
  legacy: boolean;
}

/** A heredoc used as a COPY/ADD source. */
export interface SourceContent {
  /** The heredoc name: the file name at the destination. */
  name: string;
  /** The body, already chomped for `<<-`. */
  content: string;
  /** Expand variables in the body (unquoted delimiter). Expansion keeps quotes as text. */
  expand: boolean;
}

export type MountType = "bind" | "cache" | "tmpfs" | "secret" | "ssh";
export type MountSharing = "shared" | "private" | "locked";

/** One `RUN --mount=...`. */
export interface RunMount {
  type: MountType;
  /** Stage name, stage index or image for bind/cache mounts. */
  from?: string;
  source?: string;
  target?: string;
  readOnly: boolean;
  /** Cache id, or secret/ssh id. */
  id?: string;
  sharing?: MountSharing;
  /** secret/ssh: fail when not provided. */
  required?: boolean;
  /** Octal file mode (cache, secret, ssh). */
  mode?: number;
  uid?: number;
  gid?: number;
  /** tmpfs size limit in bytes. */
  size?: number;
  /** secret: expose as this environment variable. */
  env?: string;
  /** The flag value as written; expandInstruction re-parses it with the step's environment. */
  raw: string;
}

export interface FromInstruction extends InstructionBase {
  kind: "FROM";
  /** Image or stage name, expanded with the global (meta) ARGs. */
  image: string;
  /** `AS name`, lower-cased. */
  stageName?: string;
  /** `AS name` as written, and the `AS` keyword as written (lint: casing). */
  stageNameRaw?: string;
  asKeyword?: string;
  /** `--platform`, expanded with the global ARGs. */
  platform?: string;
}

export interface RunInstruction extends InstructionBase, CommandLine {
  kind: "RUN";
  /** Values expanded. */
  mounts: RunMount[];
  network: "default" | "none" | "host";
  security: "sandbox" | "insecure";
  /** Heredoc bodies as written (not chomped); see runScript(). */
  heredocs: Heredoc[];
  /** Names of the flags used (cache keys, history). */
  flagsUsed: string[];
}

export interface CmdInstruction extends InstructionBase, CommandLine {
  kind: "CMD";
}

/** An empty exec form (`ENTRYPOINT []`) resets the entrypoint. */
export interface EntrypointInstruction extends InstructionBase, CommandLine {
  kind: "ENTRYPOINT";
}

export interface ShellInstruction extends InstructionBase {
  kind: "SHELL";
  shell: string[];
}

export interface EnvInstruction extends InstructionBase {
  kind: "ENV";
  /** Keys and values expanded. */
  pairs: KeyValue[];
}

export interface LabelInstruction extends InstructionBase {
  kind: "LABEL";
  /** Keys and values expanded. */
  pairs: KeyValue[];
}

export interface MaintainerInstruction extends InstructionBase {
  kind: "MAINTAINER";
  maintainer: string;
}

export interface ExposeInstruction extends InstructionBase {
  kind: "EXPOSE";
  /** Expanded. `80`, `80/tcp`, `8000-8010/udp`. */
  ports: string[];
}

interface CopyCommon extends InstructionBase {
  /** Source paths (expanded); heredoc sources are in `contents`. */
  sources: string[];
  contents: SourceContent[];
  /** Expanded. */
  dest: string;
  /** Expanded. */
  chown?: string;
  /** Expanded. */
  chmod?: string;
  link: boolean;
  /** Expanded. */
  exclude: string[];
  json: boolean;
}

export interface AddInstruction extends CopyCommon {
  kind: "ADD";
  keepGitDir: boolean;
  /** Expanded. */
  checksum?: string;
  /** `--unpack`: undefined means the default (archives from the context are unpacked). */
  unpack?: boolean;
}

export interface CopyInstruction extends CopyCommon {
  kind: "COPY";
  /** Stage name, stage index or image; expanded with the global ARGs by the stage graph. */
  from?: string;
  parents: boolean;
}

export interface VolumeInstruction extends InstructionBase {
  kind: "VOLUME";
  /** Expanded. */
  volumes: string[];
  json: boolean;
}

export interface UserInstruction extends InstructionBase {
  kind: "USER";
  /** Expanded. */
  user: string;
}

export interface WorkdirInstruction extends InstructionBase {
  kind: "WORKDIR";
  /** Expanded. */
  path: string;
}

export interface ArgDefinition {
  key: string;
  /** The default, when given (`ARG A=1`). */
  value?: string;
  /** The `# KEY description` comment above the ARG, if any. */
  comment?: string;
}

export interface ArgInstruction extends InstructionBase {
  kind: "ARG";
  /** Keys and defaults expanded. */
  args: ArgDefinition[];
}

export interface OnbuildInstruction extends InstructionBase {
  kind: "ONBUILD";
  /** The trigger as text (heredoc bodies appended), stored in the image config. */
  expression: string;
  /** The trigger's keyword, upper-cased. */
  trigger: string;
}

export interface StopsignalInstruction extends InstructionBase {
  kind: "STOPSIGNAL";
  /** Expanded. */
  signal: string;
}

export interface HealthcheckInstruction extends InstructionBase {
  kind: "HEALTHCHECK";
  /** `["NONE"]`, `["CMD", argv...]` or `["CMD-SHELL", command]`, as in the image config. */
  test: string[];
  /** Durations in nanoseconds (0: not set), as in the image config. */
  interval: number;
  timeout: number;
  startPeriod: number;
  startInterval: number;
  retries: number;
}

/** Every Dockerfile instruction. */
export type Instruction =
  | FromInstruction
  | RunInstruction
  | CmdInstruction
  | EntrypointInstruction
  | ShellInstruction
  | EnvInstruction
  | LabelInstruction
  | MaintainerInstruction
  | ExposeInstruction
  | AddInstruction
  | CopyInstruction
  | VolumeInstruction
  | UserInstruction
  | WorkdirInstruction
  | ArgInstruction
  | OnbuildInstruction
  | StopsignalInstruction
  | HealthcheckInstruction;

export type InstructionKind = Instruction["kind"];

/** All instruction keywords, upper case. */
export const INSTRUCTION_KINDS: readonly InstructionKind[] = [
  "FROM", "RUN", "CMD", "ENTRYPOINT", "SHELL", "ENV", "LABEL", "MAINTAINER", "EXPOSE",
  "ADD", "COPY", "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK",
];

/** Instructions with fields that expandInstruction() expands with the ENV/ARG values of the step. */
export const EXPANDING_KINDS: ReadonlySet<InstructionKind> = new Set([
  "FROM", "RUN", "ENV", "LABEL", "EXPOSE", "ADD", "COPY", "VOLUME", "USER", "WORKDIR", "ARG", "STOPSIGNAL",
]);
