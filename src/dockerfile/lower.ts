// AST → typed instructions: one small function per kind, BuildKit's checks
// and messages (instructions/parse.go), "did you mean" for misspelt
// instructions and flags. Every error is a DockerfileError on the
// instruction's lines whose message names the instruction.
import type { DockerfileError } from "../errors.ts";
import { closest } from "../util/suggest.ts";
import { BFlags } from "./flags.ts";
import {
  INSTRUCTION_KINDS,
  type ArgDefinition,
  type ArgInstruction,
  type EnvInstruction,
  type ExposeInstruction,
  type FromInstruction,
  type Instruction,
  type InstructionBase,
  type KeyValue,
  type LabelInstruction,
  type MaintainerInstruction,
  type OnbuildInstruction,
  type StopsignalInstruction,
  type UserInstruction,
  type VolumeInstruction,
  type WorkdirInstruction,
} from "./instructions.ts";
import { lowerAdd, lowerCopy } from "./lower-copy.ts";
import { lowerCmd, lowerEntrypoint, lowerHealthcheck, lowerRun, lowerShell } from "./lower-run.ts";
import { nodeRange, type Node, type ParseResult } from "./parse.ts";
import { dockerfileError, type SourceContext } from "./range.ts";

export interface LowerOptions extends SourceContext {
  /** Collect errors here and keep going, instead of throwing the first one. */
  errors?: DockerfileError[];
}

const exactlyOne = (node: Node, kind: string): string => {
  if (node.args.length !== 1) throw new Error(`${kind} requires exactly one argument`);
  return node.args[0]!;
};
const atLeastOne = (node: Node, kind: string): void => {
  if (node.args.length === 0) throw new Error(`${kind} requires at least one argument`);
};
const noFlags = (node: Node): void => new BFlags(node.flags).parse();

/** The `# NAME description` comment for NAME, if one of the comments is that. */
function commentFor(comments: readonly string[], name: string): string | undefined {
  if (!name) return undefined;
  const line = comments.find((c) => c.startsWith(`${name} `));
  return line?.slice(name.length + 1);
}

function keyValues(node: Node, kind: string): KeyValue[] {
  if (node.args.length === 0) throw new Error(`${kind} requires at least one argument`);
  const pairs: KeyValue[] = [];
  for (let i = 0; i < node.args.length; i += 3) {
    const key = node.args[i]!;
    if (key === "") throw new Error(`${kind} names can not be blank`);
    pairs.push({ key, value: node.args[i + 1] ?? "", legacy: node.args[i + 2] === "" });
  }
  return pairs;
}

const STAGE_NAME = /^[a-z][a-z0-9-_.]*$/;

function lowerFrom(node: Node, base: InstructionBase): FromInstruction {
  const args = node.args;
  let stageName: string | undefined;
  if (args.length === 3 && args[1]!.toLowerCase() === "as") {
    stageName = args[2]!.toLowerCase();
    if (!STAGE_NAME.test(stageName)) {
      throw new Error(`invalid name for build stage: "${args[2]}", name can't start with a number or contain symbols`);
    }
  } else if (args.length !== 1) throw new Error("FROM requires either one or three arguments");
  const f = new BFlags(node.flags);
  const platform = f.string("platform");
  f.parse();
  return {
    kind: "FROM",
    ...base,
    image: args[0]!,
    ...(stageName !== undefined ? { stageName, stageNameRaw: args[2], asKeyword: args[1] } : {}),
    platform: platform(),
  };
}

function lowerArg(node: Node, base: InstructionBase): ArgInstruction {
  atLeastOne(node, "ARG");
  const args: ArgDefinition[] = node.args.map((word) => {
    const eq = word.indexOf("=");
    const key = eq < 0 ? word : word.slice(0, eq);
    if (eq >= 0 && key === "") throw new Error("ARG names can not be blank");
    const def: ArgDefinition = { key };
    if (eq >= 0) def.value = word.slice(eq + 1);
    const comment = commentFor(node.comments, key);
    if (comment !== undefined) def.comment = comment;
    return def;
  });
  return { kind: "ARG", ...base, args };
}

function lowerOnbuild(node: Node, base: InstructionBase): OnbuildInstruction {
  if (!node.trigger) throw new Error("ONBUILD requires at least one argument");
  noFlags(node);
  const trigger = node.trigger.keyword.trim().toUpperCase();
  if (trigger === "ONBUILD") throw new Error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
  if (trigger === "MAINTAINER" || trigger === "FROM") throw new Error(`${trigger} isn't allowed as an ONBUILD trigger`);
  let expression = node.original.replace(/^\s*ONBUILD\s*/i, "");
  for (const h of node.heredocs) expression += `\n${h.content}${h.name}`;
  return { kind: "ONBUILD", ...base, expression, trigger };
}

function lowerVolume(node: Node, base: InstructionBase): VolumeInstruction {
  atLeastOne(node, "VOLUME");
  noFlags(node);
  const volumes = node.args.map((v) => {
    const t = v.trim();
    if (t === "") throw new Error("VOLUME specified can not be an empty string");
    return t;
  });
  return { kind: "VOLUME", ...base, volumes, json: node.json };
}

type Lower = (node: Node, base: InstructionBase) => Instruction;

const LOWER: Record<string, Lower> = {
  from: lowerFrom,
  run: lowerRun,
  cmd: lowerCmd,
  entrypoint: lowerEntrypoint,
  shell: lowerShell,
  healthcheck: lowerHealthcheck,
  add: lowerAdd,
  copy: lowerCopy,
  arg: lowerArg,
  onbuild: lowerOnbuild,
  volume: lowerVolume,
  env: (node, base): EnvInstruction => {
    noFlags(node);
    return { kind: "ENV", ...base, pairs: keyValues(node, "ENV") };
  },
  label: (node, base): LabelInstruction => {
    noFlags(node);
    return { kind: "LABEL", ...base, pairs: keyValues(node, "LABEL") };
  },
  maintainer: (node, base): MaintainerInstruction => {
    const maintainer = exactlyOne(node, "MAINTAINER");
    noFlags(node);
    return { kind: "MAINTAINER", ...base, maintainer };
  },
  expose: (node, base): ExposeInstruction => {
    atLeastOne(node, "EXPOSE");
    noFlags(node);
    return { kind: "EXPOSE", ...base, ports: [...node.args] };
  },
  user: (node, base): UserInstruction => {
    const user = exactlyOne(node, "USER");
    noFlags(node);
    return { kind: "USER", ...base, user };
  },
  workdir: (node, base): WorkdirInstruction => {
    const path = exactlyOne(node, "WORKDIR");
    noFlags(node);
    return { kind: "WORKDIR", ...base, path };
  },
  // BuildKit does not parse STOPSIGNAL's flags.
  stopsignal: (node, base): StopsignalInstruction => ({ kind: "STOPSIGNAL", ...base, signal: exactlyOne(node, "STOPSIGNAL") }),
};

/** Prefix the instruction name unless the message already starts with it. */
function withInstruction(message: string, keyword: string): string {
  const upper = keyword.toUpperCase();
  return message.startsWith(upper) || message.startsWith("unknown instruction") ? message : `${upper}: ${message}`;
}

/** Lower one AST node. Throws a located DockerfileError (code E_DOCKERFILE_INSTRUCTION). */
export function lowerNode(node: Node, ctx: SourceContext = {}): Instruction {
  const base: InstructionBase = {
    range: nodeRange(node),
    original: node.original,
    keyword: node.keyword,
    flags: node.flags,
    comments: node.comments,
  };
  try {
    const lower = LOWER[node.name];
    if (!lower) {
      const guess = closest(node.keyword, INSTRUCTION_KINDS);
      throw new Error(`unknown instruction: ${node.keyword}${guess ? ` (did you mean ${guess}?)` : ""}`);
    }
    return lower(node, base);
  } catch (err) {
    throw dockerfileError(withInstruction((err as Error).message, node.keyword), base.range, ctx, "E_DOCKERFILE_INSTRUCTION");
  }
}

/**
 * Lower a parsed Dockerfile (or bare AST) to instructions, in order. Throws
 * the first error unless `opts.errors` collects them (bad nodes are skipped).
 */
export function lowerInstructions(parsed: ParseResult | readonly Node[], opts: LowerOptions = {}): Instruction[] {
  const ast = "ast" in parsed ? parsed.ast : parsed;
  const ctx: SourceContext = "ast" in parsed ? { file: opts.file ?? parsed.file, source: opts.source ?? parsed.source } : opts;
  const out: Instruction[] = [];
  for (const node of ast) {
    try {
      out.push(lowerNode(node, ctx));
    } catch (err) {
      if (!opts.errors) throw err;
      opts.errors.push(err as DockerfileError);
    }
  }
  return out;
}
