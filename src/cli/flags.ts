import type { ArgDef, ArgsDef } from "citty";
import { UsageError } from "../errors.ts";
import { closest } from "../util/suggest.ts";

/**
 * kiln's own flag parser, with Docker's (pflag's) rules rather than citty's:
 * `--no-cache` is a flag, not the negation of `cache`; repeated flags
 * (`-t a -t b`, `--build-arg`) collect into arrays; short flags cluster
 * (`-it`); an unknown flag is an error; and for commands that run a command
 * (`kiln run IMAGE CMD…`) parsing stops at the first positional so the
 * container's own flags reach it untouched.
 *
 * Extensions to citty's ArgDef, ignored by citty's usage renderer:
 * - `multiple: true` on a string flag collects every occurrence;
 * - `multiple: true` on the last positional collects every remaining word;
 * - `rest: true` on the last positional takes all remaining words verbatim
 *   (flag parsing stops at the first word).
 */
export interface KilnArgDef {
  type?: ArgDef["type"];
  description?: string;
  valueHint?: string;
  alias?: string | string[];
  default?: string | boolean;
  required?: boolean;
  options?: string[];
  multiple?: boolean;
  rest?: boolean;
}

export type ParsedFlags = Record<string, string | boolean | string[] | undefined> & { _: string[] };

/** Flags every command accepts; cli/main applies them to the environment. */
export const GLOBAL_FLAGS: Record<string, KilnArgDef> = {
  root: { type: "string", description: "Store directory (default: $KILN_ROOT, ~/.local/share/kiln, /var/lib/kiln as root)", valueHint: "dir" },
  debug: { type: "boolean", description: "Show debug logs and stack traces", alias: ["D"] },
  "log-level": { type: "string", description: "Log level: error, warn, info, debug", valueHint: "level" },
  help: { type: "boolean", description: "Show help", alias: ["h"] },
};

interface Lookup {
  long: Map<string, [string, KilnArgDef]>;
  short: Map<string, [string, KilnArgDef]>;
}

function buildLookup(defs: Record<string, KilnArgDef>): Lookup {
  const long = new Map<string, [string, KilnArgDef]>();
  const short = new Map<string, [string, KilnArgDef]>();
  for (const [name, def] of Object.entries(defs)) {
    if (def.type === "positional") continue;
    long.set(name, [name, def]);
    const aliases = def.alias === undefined ? [] : Array.isArray(def.alias) ? def.alias : [def.alias];
    for (const a of aliases) (a.length === 1 ? short : long).set(a, [name, def]);
  }
  return { long, short };
}

function takesValue(def: KilnArgDef): boolean {
  return def.type === "string" || def.type === "enum";
}

function store(out: ParsedFlags, name: string, def: KilnArgDef, value: string | boolean): void {
  if (def.type === "enum" && typeof value === "string" && def.options && !def.options.includes(value)) {
    throw new UsageError(`invalid value "${value}" for --${name}: expected one of ${def.options.join(", ")}`);
  }
  if (def.multiple) {
    const prev = out[name];
    out[name] = [...(Array.isArray(prev) ? prev : []), String(value)];
  } else {
    out[name] = value;
  }
}

function parseBool(name: string, value: string): boolean {
  if (["true", "1", "yes"].includes(value)) return true;
  if (["false", "0", "no"].includes(value)) return false;
  throw new UsageError(`invalid boolean value "${value}" for ${name}`);
}

/** Parse `argv` against a command's flag definitions (plus the global flags). */
export function parseFlags(argv: string[], commandDefs: ArgsDef, commandName: string): ParsedFlags {
  const defs: Record<string, KilnArgDef> = { ...GLOBAL_FLAGS, ...(commandDefs as Record<string, KilnArgDef>) };
  const lookup = buildLookup(defs);
  const positionals = Object.entries(defs).filter(([, d]) => d.type === "positional");
  const hasRest = positionals.some(([, d]) => d.rest);
  const out: ParsedFlags = { _: [] };
  const words: string[] = [];
  const unknown = (flag: string): UsageError => {
    const names = [...lookup.long.keys()].map((n) => `--${n}`);
    const guess = flag.startsWith("--") ? closest(flag, names) : undefined;
    return new UsageError(`unknown flag: ${flag}`, {
      hint: guess ? `did you mean ${guess}? See 'kiln ${commandName} --help'.` : `See 'kiln ${commandName} --help'.`,
    });
  };

  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      words.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const key = arg.slice(2, eq === -1 ? undefined : eq);
      const found = lookup.long.get(key);
      if (!found) throw unknown(`--${key}`);
      const [name, def] = found;
      if (takesValue(def)) {
        let value = eq === -1 ? argv[++i] : arg.slice(eq + 1);
        if (value === undefined) throw new UsageError(`flag needs an argument: --${key}`);
        store(out, name, def, value);
      } else {
        store(out, name, def, eq === -1 ? true : parseBool(`--${key}`, arg.slice(eq + 1)));
      }
      continue;
    }
    if (arg.startsWith("-") && arg.length > 1) {
      // A cluster of short flags: booleans may be combined (-it); the first
      // flag that takes a value consumes the rest of the word or the next word.
      for (let j = 1; j < arg.length; j++) {
        const found = lookup.short.get(arg[j]!);
        if (!found) throw unknown(`-${arg[j]}`);
        const [name, def] = found;
        if (!takesValue(def)) {
          // pflag's -H=false: a boolean's value after "=" ends the cluster.
          if (arg[j + 1] === "=") {
            store(out, name, def, parseBool(`-${arg[j]}`, arg.slice(j + 2)));
            break;
          }
          store(out, name, def, true);
          continue;
        }
        const inline = arg.slice(j + 1).replace(/^=/, "");
        const value = inline !== "" ? inline : argv[++i];
        if (value === undefined) throw new UsageError(`flag needs an argument: -${arg[j]}`);
        store(out, name, def, value);
        break;
      }
      continue;
    }
    words.push(arg);
    // Commands with a trailing command line stop parsing flags at their first
    // word, like `docker run IMAGE ls -la`.
    if (hasRest) {
      words.push(...argv.slice(i + 1));
      break;
    }
  }

  out._ = words;
  if (out.help) return out;
  let w = 0;
  for (const [name, def] of positionals) {
    if (def.rest || def.multiple) {
      out[name] = words.slice(w);
      w = words.length;
      break;
    }
    const word = words[w];
    if (word === undefined) {
      if (def.required !== false && def.default === undefined) {
        throw new UsageError(`"kiln ${commandName}" requires ${name.toUpperCase()}`, { hint: `See 'kiln ${commandName} --help'.` });
      }
      out[name] = def.default;
      continue;
    }
    out[name] = word;
    w++;
  }
  if (w < words.length) {
    throw new UsageError(`"kiln ${commandName}" got an unexpected argument: ${words[w]}`, {
      hint: `See 'kiln ${commandName} --help'.`,
    });
  }
  for (const [name, def] of Object.entries(defs)) {
    if (out[name] === undefined && def.type !== "positional" && def.default !== undefined) out[name] = def.default;
    if (out[name] === undefined && def.multiple) out[name] = [];
    if (def.required && def.type !== "positional" && out[name] === undefined) {
      throw new UsageError(`"kiln ${commandName}" requires --${name}`);
    }
  }
  return out;
}
