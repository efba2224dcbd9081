// The stage graph of a multi-stage Dockerfile: global ARGs, stages with
// their (case-insensitive) names and indexes, the edges FROM <stage>,
// COPY --from and RUN --mount from=, the --target stage with the stages it
// does not need pruned, cycles, and an order the builder can follow, with
// levels of stages that may run in parallel.
import type { DockerfileError } from "../errors.ts";
import { closest } from "../util/suggest.ts";
import { isPredefinedArg, type Platform, platformArgs, resolveMetaArgs } from "./build-args.ts";
import type { EscapeToken } from "./directives.ts";
import type { ArgInstruction, FromInstruction, Instruction } from "./instructions.ts";
import { dockerfileError, type LineRange, lineRange, type SourceContext } from "./range.ts";
import { expandWord } from "./shell-lex.ts";

export interface StageGraphOptions extends SourceContext {
  /** `--target`: a stage name (default: the last stage). */
  target?: string;
  buildArgs?: Readonly<Record<string, string>>;
  /** Default linux/amd64 for both. */
  targetPlatform?: Platform;
  buildPlatform?: Platform;
  escape?: EscapeToken;
  /** Collect errors here and keep going, instead of throwing the first one. */
  errors?: DockerfileError[];
}

export type StageBase = { kind: "stage"; stage: number } | { kind: "image"; ref: string } | { kind: "scratch" };
export type EdgeVia = "FROM" | "COPY --from" | "RUN --mount";

/** An edge to another stage or to an external image. */
export interface StageEdge {
  via: EdgeVia;
  line: number;
  stage?: number;
  image?: string;
}

export interface Stage {
  index: number;
  /** `AS name`, lower case. */
  name?: string;
  /** The name, or `stage-N`. */
  displayName: string;
  from: FromInstruction;
  /** The FROM image after global-ARG expansion. */
  baseName: string;
  /** `--platform` after global-ARG expansion. */
  platform?: string;
  base: StageBase;
  /** The stage's instructions after FROM. */
  instructions: Instruction[];
  /** Every edge, in source order (FROM first). */
  edges: StageEdge[];
  /** Stage indexes this stage needs, sorted. */
  dependsOn: number[];
}

export interface StageGraph {
  /** ARG instructions before the first FROM. */
  metaArgs: ArgInstruction[];
  /** Global values: platform args and global ARGs (build args applied). */
  metaEnv: Record<string, string>;
  stages: Stage[];
  /** Index of the stage to build. */
  target: number;
  /** Stages the target needs (itself included), dependencies first. */
  order: number[];
  /** `order` in groups; a stage depends only on stages of earlier groups. */
  levels: number[][];
  /** Variables used in FROM lines that no global ARG declares (lint: UndefinedArgInFrom). */
  undefinedInFrom: { name: string; line: number }[];
}

const LINUX_AMD64: Platform = { os: "linux", architecture: "amd64" };

/** Build the stage graph from lowered instructions. */
export function buildStageGraph(instructions: readonly Instruction[], opts: StageGraphOptions = {}): StageGraph {
  const fail = (message: string, range: LineRange | undefined): void => {
    const err = dockerfileError(message, range, opts, "E_DOCKERFILE_STAGE");
    if (!opts.errors) throw err;
    opts.errors.push(err);
  };
  const escape = opts.escape ?? "\\";
  const metaArgs: ArgInstruction[] = [];
  const stages: Stage[] = [];
  for (const inst of instructions) {
    if (inst.kind === "FROM") {
      const index = stages.length;
      stages.push({ index, name: inst.stageName, displayName: inst.stageName ?? `stage-${index}`, from: inst, baseName: inst.image, base: { kind: "image", ref: inst.image }, instructions: [], edges: [], dependsOn: [] });
    } else if (stages.length > 0) stages[stages.length - 1]!.instructions.push(inst);
    else if (inst.kind === "ARG") metaArgs.push(inst);
    else fail(`${inst.kind} before the first FROM: no build stage in current context`, inst.range);
  }
  const predefined = platformArgs(opts.targetPlatform ?? LINUX_AMD64, opts.buildPlatform ?? opts.targetPlatform ?? LINUX_AMD64);
  // As in BuildKit (setKVValue on its platform args), a --build-arg of the same name replaces one.
  for (const k of Object.keys(predefined)) if (opts.buildArgs && Object.hasOwn(opts.buildArgs, k)) predefined[k] = opts.buildArgs[k]!;
  const metaEnv = resolveMetaArgs(metaArgs, opts.buildArgs ?? {}, predefined, {
    ...opts,
    escape,
    onError: opts.errors ? (err) => opts.errors!.push(err) : undefined,
  });
  const graph: StageGraph = { metaArgs, metaEnv, stages, target: stages.length - 1, order: [], levels: [], undefinedInFrom: [] };
  if (stages.length === 0) {
    fail("the Dockerfile has no FROM: no stages to build", instructions[0]?.range ?? lineRange(1));
    return graph;
  }

  const declared = new Set(metaArgs.flatMap((a) => a.args.map((d) => d.key)));
  const expandMeta = (word: string, line: number, range: LineRange): string => {
    try {
      const r = expandWord(word, metaEnv, escape);
      for (const name of r.unmatched) if (!declared.has(name) && !isPredefinedArg(name)) graph.undefinedInFrom.push({ name, line });
      return r.result;
    } catch (err) {
      fail(`FROM: ${(err as Error).message}`, range);
      return word;
    }
  };
  // A stage name resolves to the last stage of that name: for FROM among the
  // stages before it (so FROM cannot loop), for --from among all of them.
  const byName = (name: string, before: number): number | undefined => {
    const lower = name.toLowerCase();
    for (let i = Math.min(before, stages.length) - 1; i >= 0; i--) if (stages[i]!.name === lower) return i;
    return undefined;
  };

  for (const st of stages) {
    const line = st.from.range.startLine;
    st.baseName = expandMeta(st.from.image, line, st.from.range);
    if (st.from.platform !== undefined) st.platform = expandMeta(st.from.platform, line, st.from.range);
    if (st.baseName === "") fail(`FROM: base name (${st.from.image}) should not be blank`, st.from.range);
    const dep = byName(st.baseName, st.index);
    st.base = dep !== undefined ? { kind: "stage", stage: dep } : st.baseName.toLowerCase() === "scratch" ? { kind: "scratch" } : { kind: "image", ref: st.baseName };
    st.edges.push(dep !== undefined ? { via: "FROM", line, stage: dep } : { via: "FROM", line, image: st.baseName });
  }

  for (const st of stages) {
    for (const inst of st.instructions) {
      const refs: [EdgeVia, string][] = [];
      if (inst.kind === "COPY" && inst.from !== undefined) refs.push(["COPY --from", inst.from]);
      if (inst.kind === "RUN") for (const m of inst.mounts) if (m.from) refs.push(["RUN --mount", m.from]);
      for (const [via, raw] of refs) {
        let value = raw;
        try {
          if (via === "COPY --from") value = expandWord(raw, metaEnv, escape).result;
        } catch (err) {
          fail(`COPY --from: ${(err as Error).message}`, inst.range);
          continue;
        }
        const edge: StageEdge = { via, line: inst.range.startLine };
        if (/^[+-]?\d+$/.test(value)) {
          const index = Number(value);
          if (index < 0 || index >= stages.length) {
            fail(`${via}=${value}: there is no build stage ${index} (stages are numbered 0 to ${stages.length - 1})`, inst.range);
            continue;
          }
          edge.stage = index;
        } else {
          const named = byName(value, stages.length);
          if (named !== undefined) edge.stage = named;
          else edge.image = value;
        }
        st.edges.push(edge);
      }
    }
    st.dependsOn = [...new Set(st.edges.flatMap((e) => (e.stage === undefined ? [] : [e.stage])))].sort((a, b) => a - b);
  }

  if (opts.target !== undefined && opts.target !== "") {
    const t = byName(opts.target, stages.length);
    if (t === undefined) {
      const guess = closest(opts.target, stages.flatMap((s) => (s.name ? [s.name] : [])));
      fail(`target stage "${opts.target}" could not be found${guess ? ` (did you mean ${guess}?)` : ""}`, undefined);
    } else graph.target = t;
  }

  const cycle = findCycle(stages);
  if (cycle) {
    const path = cycle.map((i) => stages[i]!.displayName).join(" → ");
    const closing = stages[cycle[cycle.length - 2]!]!;
    const edge = closing.edges.find((e) => e.stage === cycle[cycle.length - 1]);
    const inst = closing.instructions.find((i) => i.range.startLine === edge?.line);
    fail(`circular dependency detected on stage: ${stages[cycle[0]!]!.displayName} (${path})`, inst?.range ?? closing.from.range);
    return graph;
  }
  orderStages(graph);
  return graph;
}

/** A dependency cycle as a path of stage indexes that ends where it starts, or undefined. */
function findCycle(stages: readonly Stage[]): number[] | undefined {
  const state = new Array<0 | 1 | 2>(stages.length).fill(0); // unvisited, on the path, done
  const path: number[] = [];
  const visit = (i: number): number[] | undefined => {
    state[i] = 1;
    path.push(i);
    for (const d of stages[i]!.dependsOn) {
      if (state[d] === 1) return [...path.slice(path.indexOf(d)), d];
      if (state[d] === 0) {
        const c = visit(d);
        if (c) return c;
      }
    }
    path.pop();
    state[i] = 2;
    return undefined;
  };
  for (let i = 0; i < stages.length; i++) {
    if (state[i] === 0) {
      const c = visit(i);
      if (c) return c;
    }
  }
  return undefined;
}

/** Fill `order` and `levels` with the stages the target needs. */
function orderStages(graph: StageGraph): void {
  const needed = new Set<number>();
  const walk = (i: number): void => {
    if (needed.has(i)) return;
    needed.add(i);
    for (const d of graph.stages[i]!.dependsOn) walk(d);
  };
  walk(graph.target);
  const level = new Map<number, number>();
  const depth = (i: number): number => {
    const known = level.get(i);
    if (known !== undefined) return known;
    const d = Math.max(-1, ...graph.stages[i]!.dependsOn.map(depth)) + 1;
    level.set(i, d);
    return d;
  };
  const sorted = [...needed].sort((a, b) => depth(a) - depth(b) || a - b);
  graph.order = sorted;
  graph.levels = [];
  for (const i of sorted) (graph.levels[depth(i)] ??= []).push(i);
}
