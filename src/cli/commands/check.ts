import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { defineCommand } from "citty";
import { errnoCode, KilnError } from "../../errors.ts";
import { checkDockerfile, dumpAst } from "../../dockerfile/index.ts";
import type { KilnArgDef } from "../flags.ts";
import { printOut } from "../output.ts";

// `kiln check`: parse and validate a Dockerfile without building it, like
// `docker build --check`: every error and build-check finding, one
// `Dockerfile:LINE: message` line each on stderr, exit status 1 if any.
// `--print-ast` prints the parse tree in BuildKit's dump format on stdout.

const args = {
  path: { type: "positional", description: "Build context directory (default: the current directory)", required: false, default: "." },
  file: { type: "string", alias: ["f"], description: "Name of the Dockerfile (default: PATH/Dockerfile); - reads stdin", valueHint: "string" },
  target: { type: "string", description: "Check the graph for this build stage", valueHint: "string" },
  "build-arg": { type: "string", multiple: true, description: "Set build-time variables", valueHint: "list" },
  "print-ast": { type: "boolean", description: "Print the parse tree (BuildKit's dump format)" },
} as const satisfies Record<string, KilnArgDef>;

/** The Dockerfile to read and the name to show: -f as given, else PATH/Dockerfile (or PATH/dockerfile). */
function dockerfilePath(file: string | undefined, context: string): string {
  if (file) return file;
  const upper = join(context, "Dockerfile");
  const lower = join(context, "dockerfile");
  return !existsSync(upper) && existsSync(lower) ? lower : upper;
}

async function readDockerfile(path: string): Promise<Uint8Array> {
  if (path === "-") return new Uint8Array(await Bun.stdin.arrayBuffer());
  try {
    return readFileSync(path);
  } catch (err) {
    throw new KilnError("E_USAGE", `cannot read the Dockerfile ${JSON.stringify(path)}: ${errnoCode(err) ?? (err as Error).message}`, {
      hint: "Name it with -f PATH (or -f - to read stdin).",
    });
  }
}

/** `--build-arg K=V` (or `K`, taking K from the environment, as docker does). */
function buildArgs(list: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of Array.isArray(list) ? (list as string[]) : []) {
    const eq = item.indexOf("=");
    if (eq >= 0) out[item.slice(0, eq)] = item.slice(eq + 1);
    else if (process.env[item] !== undefined) out[item] = process.env[item]!;
  }
  return out;
}

export default defineCommand({
  meta: { name: "check", description: "Parse and validate a Dockerfile" },
  args,
  async run({ args: a }) {
    const path = dockerfilePath(typeof a.file === "string" ? a.file : undefined, String(a.path ?? "."));
    const source = await readDockerfile(path);
    const shown = path === "-" ? "Dockerfile" : path.replace(/^\.\//, "");
    const result = checkDockerfile(source, {
      file: shown,
      target: typeof a.target === "string" ? a.target : undefined,
      buildArgs: buildArgs(a["build-arg"]),
    });
    if (a["print-ast"] && result.parsed.ast.length > 0) printOut(`${dumpAst(result.parsed.ast)}\n`);
    const lines: { line: number; text: string }[] = [
      ...result.errors.map((e) => ({ line: e.range?.startLine ?? 0, text: e.located })),
      ...result.warnings.map((w) => ({ line: w.line, text: `${shown}:${w.line}: ${w.rule}: ${w.message}` })),
    ];
    lines.sort((x, y) => x.line - y.line);
    if (lines.length > 0) process.stderr.write(`${lines.map((l) => l.text).join("\n")}\n`);
    if (lines.length > 0) process.exitCode = 1;
  },
});
