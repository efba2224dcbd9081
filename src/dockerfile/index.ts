// dockerfile/: the pure Dockerfile front-end (no fs, no spawn, no clock).
export { parseDockerfile, type Node, type ParseOptions, type ParseResult, type ParseWarning } from "./parse.ts";
export { dumpAst, dumpNode } from "./dump.ts";
export type { Directive, EscapeToken } from "./directives.ts";
export type { Heredoc } from "./heredoc.ts";
export { expandWord, expandWords, ShellLex, type Env, type ProcessResult, type ShellLexOptions } from "./shell-lex.ts";
export * from "./instructions.ts";
export { lowerInstructions, lowerNode, type LowerOptions } from "./lower.ts";
export { planRun, type RunPlan } from "./lower-run.ts";
export { expandInstruction, type ExpandOptions, type Expanded } from "./expand.ts";
export {
  buildStageGraph,
  type EdgeVia,
  type Stage,
  type StageBase,
  type StageEdge,
  type StageGraph,
  type StageGraphOptions,
} from "./stages.ts";
export {
  formatPlatform,
  isPredefinedArg,
  PLATFORM_ARGS,
  platformArgs,
  type Platform,
  PROXY_ARGS,
  resolveMetaArgs,
  stageArgValue,
} from "./build-args.ts";
export { cleanPath, compileIgnorePattern, type IgnorePattern, matchPattern, readDockerignore } from "./dockerignore.ts";
export { DockerIgnore, dockerignoreCandidates, type ParentMatch } from "./dockerignore-match.ts";
export { lintDockerfile, type LintRule, type LintWarning, RULES, type RuleName } from "./lint.ts";
export { type CheckOptions, type CheckResult, checkDockerfile, loadDockerfile, type LoadedDockerfile } from "./load.ts";
export { parseCheckDirective, type CheckDirective } from "./directives.ts";
