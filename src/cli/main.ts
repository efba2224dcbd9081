import { renderUsage, type CommandDef } from "citty";
import { writeSync } from "node:fs";
import { UsageError } from "../errors.ts";
import { closest } from "../util/suggest.ts";
import { VERSION } from "../version.ts";
import { commands, summaries } from "./commands/index.ts";
import { parseFlags, type ParsedFlags } from "./flags.ts";
import { logger, refreshLogLevel } from "./logger.ts";
import { printOut } from "./output.ts";
import { exitCodeOf, renderError } from "./render-error.ts";

function rootHelp(): string {
  const width = Math.max(...Object.keys(summaries).map((n) => n.length));
  const lines = Object.entries(summaries).map(([n, d]) => `  ${n.padEnd(width)}  ${d}`);
  return [
    "kiln: build container images from Dockerfiles, with no daemon and no root.",
    "",
    "Usage:  kiln [OPTIONS] COMMAND [ARGS...]",
    "",
    "Commands:",
    ...lines,
    "",
    "Global options:",
    "  --root DIR          Store directory (default: $KILN_ROOT, ~/.local/share/kiln, /var/lib/kiln as root)",
    "  -D, --debug         Show debug logs and stack traces (or KILN_DEBUG=1)",
    "  --log-level LEVEL   error, warn, info, debug",
    "  -v, --version       Print the version and exit",
    "  -h, --help          Print this help",
    "",
    "Run 'kiln COMMAND --help' for more information on a command.",
    "",
  ].join("\n");
}

/** Global flags change the environment so that re-executed kiln processes inherit them. */
function applyGlobals(flags: Partial<ParsedFlags>): void {
  if (typeof flags.root === "string") process.env.KILN_ROOT = flags.root;
  if (flags.debug === true) process.env.KILN_DEBUG = "1";
  if (typeof flags["log-level"] === "string") process.env.KILN_LOG_LEVEL = flags["log-level"];
  refreshLogLevel();
}

/** Split `kiln [global flags] COMMAND rest…`; global flags before the command only. */
function splitGlobal(argv: string[]): { globals: Partial<ParsedFlags>; name?: string; rest: string[] } {
  const globals: Partial<ParsedFlags> = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--debug" || a === "-D") globals.debug = true;
    else if (a === "--help" || a === "-h") globals.help = true;
    else if (a === "--version" || a === "-v") globals.version = true;
    else if (a === "--root" || a === "--log-level") {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`flag needs an argument: ${a}`);
      globals[a.slice(2)] = v;
    } else if (a.startsWith("--root=") || a.startsWith("--log-level=")) {
      const eq = a.indexOf("=");
      globals[a.slice(2, eq)] = a.slice(eq + 1);
    } else if (a.startsWith("-")) {
      throw new UsageError(`unknown flag: ${a}`, { hint: "See 'kiln --help'." });
    } else return { globals, name: a, rest: argv.slice(i + 1) };
  }
  return { globals, rest: [] };
}

/** Commands that never touch the store, and so never need the user namespace. */
const OUTSIDE_USERNS = new Set(["version", "check", "doctor"]);

async function dispatch(argv: string[]): Promise<void> {
  const { globals, name, rest } = splitGlobal(argv);
  applyGlobals(globals);
  if (globals.version && !name) {
    printOut(`kiln version ${VERSION}\n`);
    return;
  }
  if (!name) {
    printOut(rootHelp());
    return;
  }
  const loader = commands[name];
  if (!loader) {
    const guess = closest(name, Object.keys(summaries));
    throw new UsageError(`'${name}' is not a kiln command`, {
      hint: guess ? `did you mean 'kiln ${guess}'? See 'kiln --help'.` : "See 'kiln --help'.",
    });
  }
  const cmd: CommandDef<any> = await loader();
  const args = parseFlags(rest, (await resolve(cmd.args)) ?? {}, name);
  if (args.help || globals.help) {
    printOut(`${await renderUsage(cmd)}\n`);
    return;
  }
  applyGlobals(args);
  logger.debug(`kiln ${VERSION}: ${name} ${rest.join(" ")}`);
  // Rootless: everything that touches the store runs in kiln's user namespace
  // (kiln re-executes itself there once, in place); sandbox/rootless.ts.
  if (!OUTSIDE_USERNS.has(name) && process.getuid?.() !== 0 && process.env.KILN_IN_USERNS !== "1") {
    await (await import("../sandbox/index.ts")).ensureUserNamespace();
  }
  await cmd.run?.({ rawArgs: rest, args: args as never, cmd });
}

async function resolve<T>(v: T | Promise<T> | (() => T) | (() => Promise<T>) | undefined): Promise<T | undefined> {
  return typeof v === "function" ? await (v as () => T | Promise<T>)() : await v;
}

/**
 * kiln's top level. Errors are rendered once, as text for a person; the exit
 * status is set (not `process.exit`) so that pending cleanups still run.
 */
export async function main(argv: string[]): Promise<void> {
  try {
    await dispatch(argv);
  } catch (err) {
    writeSync(2, `${renderError(err)}\n`);
    process.exitCode = exitCodeOf(err);
  }
}
