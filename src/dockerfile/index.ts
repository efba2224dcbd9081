// dockerfile/: the pure Dockerfile front-end (no fs, no spawn, no clock).
//
// Public surface, in the order the build uses it:
//
//   const df = loadDockerfile(bytes, { file })        // parse + lower, throws DockerfileError
//     = parseDockerfile(bytes, { file })               // → { ast, escape, directives, warnings, source, file }
//       + lowerInstructions(parsed)                    // → Instruction[] (discriminated on `kind`)
//   const graph = buildStageGraph(df.instructions, {  // stages, edges, --target, pruning, order
//     target, buildArgs, targetPlatform, buildPlatform, escape: df.escape, file, source })
//   for (const i of graph.order) for (const inst of graph.stages[i].instructions) {
//     const { instruction, matched, unmatched } =
//       expandInstruction(inst, env, { escape: df.escape, file, source }) // at execution time, with that step's env
//     ...
//   }
//
// - Instruction values are RAW; expandInstruction() substitutes the fields
//   Docker expands (marked "Expanded" in instructions.ts) and reports the
//   variables referenced (`matched`: set, `unmatched`: unset). FROM image and
//   --platform, and COPY --from, are resolved by buildStageGraph() with the
//   global ARGs (graph.metaEnv); an ARG's value in a stage: stageArgValue().
// - RUN heredocs: planRun(run) says what to execute (BuildKit's dispatchRun).
// - Errors are DockerfileError with `range` (1-based lines), a message naming
//   the instruction, a `>>>` snippet when the source is known; codes
//   E_DOCKERFILE_SYNTAX (parse), _INSTRUCTION (lowering), _EXPANSION
//   (expandInstruction, shell-lex), _STAGE (stage graph). Pass `errors: []`
//   to parse/lower/graph to collect every error instead of throwing.
// - checkDockerfile() runs everything tolerantly plus the Docker-named build
//   checks (lint.ts) for `kiln check`.
// - .dockerignore: DockerIgnore.parse(text).matches(path) / matchesWithParent()
//   / canSkipDir(); dockerignoreCandidates(dockerfile, context) gives the file
//   names to look for, in order.
// - ShellLex / expandWord / expandWords: BuildKit's shell-word processing.
//
// Contract notes (beyond the brief): COPY --from values are expanded with the
// global ARGs, and RUN --mount from= may also be a stage index; EXPOSE keeps
// the source order (BuildKit sorts); the 64 KiB line limit of Go's scanner is
// not enforced.

export { parseDockerfile, type Node, type Node as AstNode, type ParseOptions, type ParseResult, type ParseWarning } from "./parse.ts";
export { dumpAst, dumpNode } from "./dump.ts";
export { type CheckDirective, type Directive, type EscapeToken, parseCheckDirective } from "./directives.ts";
export { chompHeredoc, type Heredoc, parseHeredocWord } from "./heredoc.ts";
export { type Env, expandWord, expandWords, type ProcessResult, ShellLex, type ShellLexOptions } from "./shell-lex.ts";
export * from "./instructions.ts";
export { lowerInstructions, lowerNode, type LowerOptions } from "./lower.ts";
export { planRun, type RunPlan } from "./lower-run.ts";
export { splitCsvLine } from "./run-mount.ts";
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
export { type LineRange, renderSnippet, type SourceContext } from "./range.ts";
