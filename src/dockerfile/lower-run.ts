// Instructions that carry a command: RUN (with --mount, --network,
// --security), CMD, ENTRYPOINT, SHELL and HEALTHCHECK; plus how a RUN with
// heredocs is really run.
import { closest } from "../util/suggest.ts";
import { parseGoDuration } from "./_units.ts";
import { BFlags } from "./flags.ts";
import { chompHeredoc, parseHeredocWord } from "./heredoc.ts";
import type {
  CmdInstruction,
  CommandLine,
  EntrypointInstruction,
  HealthcheckInstruction,
  InstructionBase,
  RunInstruction,
  ShellInstruction,
} from "./instructions.ts";
import type { Node } from "./parse.ts";
import { parseMount } from "./run-mount.ts";

const NETWORKS = ["default", "none", "host"] as const;
const SECURITY = ["sandbox", "insecure"] as const;

/** Shell form: the whole rest is one string run by the shell; exec form: the argv. */
function commandLine(node: Node, args = node.args): CommandLine {
  if (node.json) return { cmdLine: [...args], prependShell: false, json: true };
  return { cmdLine: args.length === 0 ? [] : [args.join(" ")], prependShell: true, json: false };
}

/** RUN [--mount=...]... [--network=default|none|host] [--security=sandbox|insecure] command */
export function lowerRun(node: Node, base: InstructionBase): RunInstruction {
  const f = new BFlags(node.flags);
  const mounts = f.strings("mount");
  const network = f.string("network");
  const security = f.string("security");
  f.parse();
  const net = network() ?? "default";
  if (!(NETWORKS as readonly string[]).includes(net)) {
    const guess = closest(net, NETWORKS);
    throw new Error(`invalid network mode "${net}"${guess ? ` (did you mean ${guess}?)` : ""}`);
  }
  const sec = security() ?? "sandbox";
  if (!(SECURITY as readonly string[]).includes(sec)) throw new Error(`security "${sec}" is not valid`);
  return {
    kind: "RUN",
    ...base,
    ...commandLine(node),
    mounts: mounts().map((raw) => {
      try {
        return parseMount(raw, undefined);
      } catch (err) {
        throw new Error(`--mount=${raw}: ${(err as Error).message}`);
      }
    }),
    network: net as RunInstruction["network"],
    security: sec as RunInstruction["security"],
    heredocs: node.heredocs,
    flagsUsed: f.used(),
  };
}

export function lowerCmd(node: Node, base: InstructionBase): CmdInstruction {
  new BFlags(node.flags).parse();
  return { kind: "CMD", ...base, ...commandLine(node) };
}

export function lowerEntrypoint(node: Node, base: InstructionBase): EntrypointInstruction {
  new BFlags(node.flags).parse();
  return { kind: "ENTRYPOINT", ...base, ...commandLine(node) };
}

export function lowerShell(node: Node, base: InstructionBase): ShellInstruction {
  new BFlags(node.flags).parse();
  if (node.args.length === 0) throw new Error("SHELL requires at least one argument");
  if (!node.json) throw new Error("SHELL requires the arguments to be in JSON form");
  return { kind: "SHELL", ...base, shell: [...node.args] };
}

const MIN_INTERVAL_NS = 1e6; // Docker's container.MinimumDuration: 1ms

function interval(name: string, value: string | undefined): number {
  if (value === undefined || value === "") return 0;
  let ns: number;
  try {
    ns = parseGoDuration(value);
  } catch (err) {
    throw new Error(`HEALTHCHECK --${name}: ${(err as Error).message}`);
  }
  if (ns === 0) return 0;
  if (ns < MIN_INTERVAL_NS) throw new Error(`HEALTHCHECK --${name} cannot be less than 1ms`);
  return ns;
}

/** HEALTHCHECK NONE | HEALTHCHECK [--interval --timeout --start-period --start-interval --retries] CMD command */
export function lowerHealthcheck(node: Node, base: InstructionBase): HealthcheckInstruction {
  if (node.args.length === 0) throw new Error("HEALTHCHECK requires at least one argument");
  const type = node.args[0]!.toUpperCase();
  const none = { interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 };
  if (type === "NONE") {
    // BuildKit does not look at flags here.
    if (node.args.length > 1) throw new Error("HEALTHCHECK NONE takes no arguments");
    return { kind: "HEALTHCHECK", ...base, test: ["NONE"], ...none };
  }
  const f = new BFlags(node.flags);
  const flInterval = f.string("interval");
  const flTimeout = f.string("timeout");
  const flStartPeriod = f.string("start-period");
  const flStartInterval = f.string("start-interval");
  const flRetries = f.string("retries");
  f.parse();
  if (type !== "CMD") throw new Error(`Unknown type "${type}" in HEALTHCHECK (try CMD)`);
  const cmd = commandLine(node, node.args.slice(1)).cmdLine;
  if (cmd.length === 0) throw new Error("Missing command after HEALTHCHECK CMD");
  let retries = 0;
  const r = flRetries();
  if (r !== undefined && r !== "") {
    if (!/^[+-]?\d+$/.test(r) || Math.abs(Number(r)) > 2 ** 31) throw new Error(`HEALTHCHECK --retries: invalid number "${r}"`);
    retries = Number(r);
    if (retries < 0) throw new Error(`--retries cannot be negative (${retries})`);
  }
  return {
    kind: "HEALTHCHECK",
    ...base,
    test: [node.json ? "CMD" : "CMD-SHELL", ...cmd],
    interval: interval("interval", flInterval()),
    timeout: interval("timeout", flTimeout()),
    startPeriod: interval("start-period", flStartPeriod()),
    startInterval: interval("start-interval", flStartInterval()),
    retries,
  };
}

/** How a RUN with heredocs runs, per BuildKit's dispatchRun. */
export interface RunPlan {
  /** The command line to run (the SHELL is still prepended when `prependShell`). */
  cmdLine: string[];
  prependShell: boolean;
  /** A script to provide at `path` (mode 0755) when the heredoc starts with `#!`. */
  file?: { path: string; content: string };
}

/**
 * `RUN <<EOF` alone runs the (chomped) body as the shell command, or, when it
 * starts with `#!`, writes it to /dev/pipes/NAME and runs that file. Any
 * other use (`RUN python3 <<EOF`) hands the shell the line followed by the
 * heredoc bodies and terminators, and the shell does the rest.
 */
export function planRun(run: Pick<RunInstruction, "cmdLine" | "prependShell" | "heredocs">): RunPlan {
  if (run.heredocs.length === 0 || run.cmdLine.length !== 1 || !run.prependShell) {
    return { cmdLine: run.cmdLine, prependShell: run.prependShell };
  }
  let single: ReturnType<typeof parseHeredocWord>;
  try {
    single = parseHeredocWord(run.cmdLine[0]!);
  } catch {
    single = undefined;
  }
  const first = run.heredocs[0]!;
  if (single) {
    const body = first.chomp ? chompHeredoc(first.content) : first.content;
    if (first.content.startsWith("#!")) {
      const path = `/dev/pipes/${first.name}`;
      return { cmdLine: [path], prependShell: true, file: { path, content: body } };
    }
    return { cmdLine: [body], prependShell: true };
  }
  let full = run.cmdLine[0]!;
  for (const h of run.heredocs) full += `\n${h.content}${h.name}`;
  return { cmdLine: [full], prependShell: true };
}
