// The front-end in one call: text → instructions (loadDockerfile, strict,
// for the build), or text → every problem found (checkDockerfile, tolerant,
// for `kiln check`).
import type { DockerfileError } from "../errors.ts";
import type { Platform } from "./build-args.ts";
import { parseCheckDirective } from "./directives.ts";
import type { Instruction } from "./instructions.ts";
import { lintDockerfile, type LintWarning } from "./lint.ts";
import { lowerInstructions } from "./lower.ts";
import { parseDockerfile, type ParseResult } from "./parse.ts";
import { buildStageGraph, type StageGraph } from "./stages.ts";

export interface LoadedDockerfile extends ParseResult {
  instructions: Instruction[];
}

/** Parse and lower; throws the first DockerfileError. */
export function loadDockerfile(input: string | Uint8Array, opts: { file?: string } = {}): LoadedDockerfile {
  const parsed = parseDockerfile(input, opts);
  return { ...parsed, instructions: lowerInstructions(parsed) };
}

export interface CheckOptions {
  file?: string;
  target?: string;
  buildArgs?: Readonly<Record<string, string>>;
  targetPlatform?: Platform;
}

export interface CheckResult {
  parsed: ParseResult;
  instructions: Instruction[];
  graph?: StageGraph;
  /** Every error, in line order. */
  errors: DockerfileError[];
  /** Build-check findings not skipped by `# check=skip=...`. */
  warnings: LintWarning[];
  /** `# check=error=true`: findings should fail the build. */
  warningsAreErrors: boolean;
}

/** Parse, lower, build the stage graph and lint, collecting every problem instead of stopping at the first. */
export function checkDockerfile(input: string | Uint8Array, opts: CheckOptions = {}): CheckResult {
  const errors: DockerfileError[] = [];
  const parsed = parseDockerfile(input, { file: opts.file, errors });
  const instructions = lowerInstructions(parsed, { errors });
  let graph: StageGraph | undefined;
  if (instructions.length > 0) {
    const before = errors.length;
    graph = buildStageGraph(instructions, {
      file: parsed.file,
      source: parsed.source,
      escape: parsed.escape,
      target: opts.target,
      buildArgs: opts.buildArgs,
      targetPlatform: opts.targetPlatform,
      errors,
    });
    if (errors.length > before && graph.order.length === 0) graph = undefined;
  }
  const check = parseCheckDirective(parsed.directives.find((d) => d.name === "check")?.value);
  const warnings = lintDockerfile(parsed, instructions, graph, check);
  errors.sort((a, b) => (a.range?.startLine ?? 0) - (b.range?.startLine ?? 0));
  return { parsed, instructions, graph, errors, warnings, warningsAreErrors: check.error };
}
