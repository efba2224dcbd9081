// Build checks, named as Docker names them (moby/buildkit
// frontend/dockerfile/linter/ruleset.go) so users can search for them.
// Rules are data; lintDockerfile() returns findings, never prints.
import { closest } from "../util/suggest.ts";
import { isPredefinedArg } from "./build-args.ts";
import type { CheckDirective } from "./directives.ts";
import { expandInstruction } from "./expand.ts";
import type { Instruction } from "./instructions.ts";
import type { ParseResult } from "./parse.ts";
import type { StageGraph } from "./stages.ts";

export interface LintRule {
  name: string;
  description: string;
  url: string;
}

/** One finding. */
export interface LintWarning {
  rule: string;
  message: string;
  line: number;
  url: string;
}

const rule = (name: string, description: string): LintRule => ({
  name,
  description,
  url: `https://docs.docker.com/go/dockerfile/rule/${name.replace(/([a-z])([A-Z])/g, "$1-$2").replace("JSONArgs", "json-args").toLowerCase()}/`,
});

export const RULES = {
  StageNameCasing: rule("StageNameCasing", "Stage names should be lowercase"),
  FromAsCasing: rule("FromAsCasing", "The 'as' keyword should match the case of the 'from' keyword"),
  NoEmptyContinuation: rule("NoEmptyContinuation", "Empty continuation lines will become errors in a future release"),
  ConsistentInstructionCasing: rule("ConsistentInstructionCasing", "All commands within the Dockerfile should use the same casing (either upper or lower)"),
  DuplicateStageName: rule("DuplicateStageName", "Stage names should be unique"),
  ReservedStageName: rule("ReservedStageName", "Reserved words should not be used as stage names"),
  JSONArgsRecommended: rule("JSONArgsRecommended", "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals"),
  MaintainerDeprecated: rule("MaintainerDeprecated", "The MAINTAINER instruction is deprecated, use a label instead to define an image author"),
  UndefinedArgInFrom: rule("UndefinedArgInFrom", "FROM command must use declared ARGs"),
  WorkdirRelativePath: rule("WorkdirRelativePath", "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes"),
  UndefinedVar: rule("UndefinedVar", "Variables should be defined before their use"),
  MultipleInstructionsDisallowed: rule("MultipleInstructionsDisallowed", "Multiple instructions of the same type should not be used in the same stage"),
  LegacyKeyValueFormat: rule("LegacyKeyValueFormat", "Legacy key/value format with whitespace separator should not be used"),
  RedundantTargetPlatform: rule("RedundantTargetPlatform", "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior"),
  SecretsUsedInArgOrEnv: rule("SecretsUsedInArgOrEnv", "Sensitive data should not be used in the ARG or ENV commands"),
  ExposeProtoCasing: rule("ExposeProtoCasing", "Protocol in EXPOSE instruction should be lowercase"),
} as const satisfies Record<string, LintRule>;

export type RuleName = keyof typeof RULES;

const SECRET = /(?:_|^)(?:apikey|auth|credential|credentials|key|password|pword|passwd|secret|token)(?:_|$)/i;
const PUBLIC = /(?:_|^)(?:public)(?:_|$)/i;
const RESERVED_STAGE_NAMES = new Set(["scratch", "context"]);
const ONCE_PER_STAGE = new Set(["CMD", "ENTRYPOINT", "HEALTHCHECK"]);

const didYouMean = (word: string, options: Iterable<string>): string => {
  const guess = closest(word, options);
  return guess ? ` (did you mean ${guess}?)` : "";
};

/** Run every rule not skipped by `# check=skip=...`. Findings are sorted by line. */
export function lintDockerfile(
  parsed: ParseResult,
  instructions: readonly Instruction[],
  graph: StageGraph | undefined,
  check: CheckDirective = { skip: new Set(), error: false },
): LintWarning[] {
  const out: LintWarning[] = [];
  const report = (name: RuleName, line: number, message: string): void => {
    if (check.skip.has("all") || check.skip.has(name)) return;
    out.push({ rule: name, message, line, url: RULES[name].url });
  };
  for (const w of parsed.warnings) if (w.rule === "NoEmptyContinuation") report("NoEmptyContinuation", w.line, w.message);

  const upper = instructions.filter((i) => i.keyword === i.keyword.toUpperCase()).length;
  const lower = instructions.filter((i) => i.keyword === i.keyword.toLowerCase()).length;
  const majority = upper >= lower ? "uppercase" : "lowercase";
  for (const inst of instructions) {
    const line = inst.range.startLine;
    const cased = majority === "uppercase" ? inst.keyword.toUpperCase() : inst.keyword.toLowerCase();
    if (inst.keyword !== cased) report("ConsistentInstructionCasing", line, `Command '${inst.keyword}' should match the case of the command majority (${majority})`);
    lintOne(inst, report);
  }
  if (graph) lintStages(graph, report);
  return out.sort((a, b) => a.line - b.line);
}

type Report = (name: RuleName, line: number, message: string) => void;

function lintOne(inst: Instruction, report: Report): void {
  const line = inst.range.startLine;
  switch (inst.kind) {
    case "FROM": {
      const raw = inst.stageNameRaw;
      if (raw && raw !== raw.toLowerCase()) report("StageNameCasing", line, `Stage name '${raw}' should be lowercase`);
      const as = inst.asKeyword;
      const kw = inst.keyword;
      const fromLower = kw === kw.toLowerCase();
      if (as && (fromLower || kw === kw.toUpperCase()) && as !== (fromLower ? as.toLowerCase() : as.toUpperCase())) {
        report("FromAsCasing", line, `'${as}' and '${kw}' keywords' casing do not match`);
      }
      if (inst.stageName && RESERVED_STAGE_NAMES.has(inst.stageName)) {
        report("ReservedStageName", line, `Stage name should not use the same name as reserved stage "${inst.stageName}"`);
      }
      if (inst.platform === "$TARGETPLATFORM" || inst.platform === "${TARGETPLATFORM}") {
        report("RedundantTargetPlatform", line, `Setting platform to predefined ${inst.platform} in FROM is redundant as this is the default behavior`);
      }
      break;
    }
    case "CMD":
    case "ENTRYPOINT":
      if (!inst.json && inst.cmdLine.length > 0) {
        report("JSONArgsRecommended", line, `JSON arguments recommended for ${inst.kind} to prevent unintended behavior related to OS signals`);
      }
      break;
    case "MAINTAINER":
      report("MaintainerDeprecated", line, "Maintainer instruction is deprecated in favor of using label");
      break;
    case "ENV":
    case "LABEL":
      if (inst.pairs.some((p) => p.legacy)) report("LegacyKeyValueFormat", line, `"${inst.kind} key=value" should be used instead of legacy "${inst.kind} key value" format`);
      if (inst.kind === "ENV") for (const p of inst.pairs) secret(p.key, "ENV", line, report);
      break;
    case "ARG":
      for (const a of inst.args) secret(a.key, "ARG", line, report);
      break;
    case "EXPOSE":
      for (const port of inst.ports) {
        const proto = port.split("/")[1];
        if (proto && proto !== proto.toLowerCase()) report("ExposeProtoCasing", line, `Defined protocol '${port}' in EXPOSE instruction should be lowercase`);
      }
      break;
    default:
  }
}

function secret(key: string, kind: string, line: number, report: Report): void {
  if (SECRET.test(key) && !PUBLIC.test(key)) report("SecretsUsedInArgOrEnv", line, `Do not use ARG or ENV instructions for sensitive data (${kind} "${key}")`);
}

function lintStages(graph: StageGraph, report: Report): void {
  const declared = graph.metaArgs.flatMap((a) => a.args.map((d) => d.key));
  for (const u of graph.undefinedInFrom) report("UndefinedArgInFrom", u.line, `FROM argument '${u.name}' is not declared${didYouMean(u.name, declared)}`);
  const seen = new Map<string, number>();
  // Names each stage defines with ENV (inherited by stages built on it), and whether its env is fully known.
  const envOf: { names: Set<string>; known: boolean; absWorkdir: boolean }[] = [];
  for (const st of graph.stages) {
    if (st.name) {
      if (seen.has(st.name)) report("DuplicateStageName", st.from.range.startLine, `Duplicate stage name "${st.name}", stage names should be unique`);
      seen.set(st.name, st.index);
    }
    const parent = st.base.kind === "stage" ? envOf[st.base.stage] : undefined;
    const env = {
      names: new Set(parent?.names ?? []),
      known: st.base.kind === "scratch" || (parent?.known ?? false),
      absWorkdir: parent?.absWorkdir ?? false,
    };
    envOf[st.index] = env;
    const counts = new Map<string, number>();
    for (const inst of st.instructions) if (ONCE_PER_STAGE.has(inst.kind)) counts.set(inst.kind, (counts.get(inst.kind) ?? 0) + 1);
    const args = new Set<string>();
    for (const inst of st.instructions) {
      const line = inst.range.startLine;
      if (ONCE_PER_STAGE.has(inst.kind)) {
        const left = counts.get(inst.kind)! - 1;
        counts.set(inst.kind, left);
        if (left > 0) report("MultipleInstructionsDisallowed", line, `Multiple ${inst.kind} instructions should not be used in the same stage because only the last one will be used`);
      }
      undefinedVars(inst, env, args, report);
      if (inst.kind === "WORKDIR") {
        if (inst.path.startsWith("/") || inst.path.startsWith("$")) env.absWorkdir = true;
        else if (!env.absWorkdir) report("WorkdirRelativePath", line, `Relative workdir "${inst.path}" can have unexpected results if the base image changes`);
      }
      if (inst.kind === "ENV") for (const p of inst.pairs) env.names.add(p.key);
      if (inst.kind === "ARG") for (const a of inst.args) args.add(a.key);
    }
  }
}

/**
 * UndefinedVar: a variable an instruction expands that no ARG or ENV of the
 * stage defines. The base image's environment is unknown here, so outside
 * stages rooted at scratch only likely typos (a close defined name) are reported.
 */
function undefinedVars(inst: Instruction, env: { names: Set<string>; known: boolean }, args: Set<string>, report: Report): void {
  const defined = (n: string): boolean => env.names.has(n) || args.has(n) || isPredefinedArg(n);
  let unmatched: Set<string>;
  try {
    unmatched = expandInstruction(inst, (n) => (defined(n) ? "" : undefined)).unmatched;
  } catch {
    return; // expansion errors are the build's to report, with the real values
  }
  const options = [...env.names, ...args];
  for (const name of unmatched) {
    const hint = didYouMean(name, options);
    if (env.known || hint) report("UndefinedVar", inst.range.startLine, `Usage of undefined variable '$${name}'${hint}`);
  }
}
