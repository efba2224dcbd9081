// Build-time variable expansion of one instruction: the build calls this when
// it executes a step, with the environment of that moment (ENV values and the
// ARGs in scope), and gets back a copy with the "expanded" fields (see
// instructions.ts) substituted, plus every variable name the step referenced.
// Heredoc sources are expanded "raw" (quotes kept as text), as BuildKit does.
import type { DockerfileError } from "../errors.ts";
import type { EscapeToken } from "./directives.ts";
import type { AddInstruction, CopyInstruction, Instruction, KeyValue, SourceContent } from "./instructions.ts";
import { locateError, type SourceContext } from "./range.ts";
import { parseMount } from "./run-mount.ts";
import { type Env, ShellLex } from "./shell-lex.ts";

export interface ExpandOptions extends SourceContext {
  /** The Dockerfile's escape character (ParseResult.escape). */
  escape?: EscapeToken;
}

export interface Expanded<T extends Instruction> {
  instruction: T;
  /** Variables referenced and set. */
  matched: Set<string>;
  /** Variables referenced but unset (expanded to ""). */
  unmatched: Set<string>;
}

const rawLex = new ShellLex({ skipProcessQuotes: true });

/**
 * Expand `inst` with `env`. Throws a DockerfileError located on the
 * instruction (code E_DOCKERFILE_EXPANSION) for bad substitutions and
 * `${VAR:?message}`.
 */
export function expandInstruction<T extends Instruction>(inst: T, env: Env, opts: ExpandOptions = {}): Expanded<T> {
  const lex = new ShellLex({ escape: opts.escape ?? "\\" });
  const matched = new Set<string>();
  const unmatched = new Set<string>();
  const run = (l: ShellLex, word: string): string => {
    const r = l.process(word, env);
    for (const n of r.matched) matched.add(n);
    for (const n of r.unmatched) unmatched.add(n);
    return r.result;
  };
  const w = (word: string): string => run(lex, word);
  const opt = (word: string | undefined): string | undefined => (word === undefined ? undefined : w(word));
  const kv = (pairs: KeyValue[]): KeyValue[] => pairs.map((p) => ({ ...p, key: w(p.key), value: w(p.value) }));
  const contents = (cs: SourceContent[]): SourceContent[] => cs.map((c) => (c.expand ? { ...c, content: run(rawLex, c.content) } : c));
  try {
    const out = expandFields(inst, w, opt, kv, contents);
    return { instruction: out as T, matched, unmatched };
  } catch (err) {
    const e = locateError(err, inst.range, opts, "E_DOCKERFILE_EXPANSION") as DockerfileError;
    if (!e.message.startsWith(inst.kind)) e.message = `${inst.kind}: ${e.message}`;
    throw e;
  }
}

/** The fields ADD and COPY share. */
function copyFields(
  c: AddInstruction | CopyInstruction,
  w: (s: string) => string,
  opt: (s: string | undefined) => string | undefined,
  contents: (c: SourceContent[]) => SourceContent[],
): Pick<CopyInstruction, "sources" | "dest" | "contents" | "chown" | "chmod" | "exclude"> {
  return {
    sources: c.sources.map(w),
    dest: w(c.dest),
    contents: contents(c.contents),
    chown: opt(c.chown),
    chmod: opt(c.chmod),
    exclude: c.exclude.map(w),
  };
}

function expandFields(
  inst: Instruction,
  w: (s: string) => string,
  opt: (s: string | undefined) => string | undefined,
  kv: (p: KeyValue[]) => KeyValue[],
  contents: (c: SourceContent[]) => SourceContent[],
): Instruction {
  switch (inst.kind) {
    case "FROM":
      return { ...inst, image: w(inst.image), platform: opt(inst.platform) };
    case "ENV":
    case "LABEL":
      return { ...inst, pairs: kv(inst.pairs) };
    case "ARG":
      return { ...inst, args: inst.args.map((a) => ({ ...a, key: w(a.key), ...(a.value !== undefined ? { value: w(a.value) } : {}) })) };
    case "ADD":
      return { ...inst, ...copyFields(inst, w, opt, contents), checksum: opt(inst.checksum) };
    case "COPY":
      return { ...inst, ...copyFields(inst, w, opt, contents) };
    case "EXPOSE":
      return { ...inst, ports: inst.ports.map(w) };
    case "VOLUME":
      return { ...inst, volumes: inst.volumes.map(w) };
    case "USER":
      return { ...inst, user: w(inst.user) };
    case "WORKDIR":
      return { ...inst, path: w(inst.path) };
    case "STOPSIGNAL":
      return { ...inst, signal: w(inst.signal) };
    case "RUN":
      if (inst.mounts.length === 0) return inst;
      return {
        ...inst,
        mounts: inst.mounts.map((m) => {
          try {
            return parseMount(m.raw, w);
          } catch (err) {
            throw new Error(`--mount=${m.raw}: ${(err as Error).message}`);
          }
        }),
      };
    default:
      return inst;
  }
}
