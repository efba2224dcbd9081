// Instruction flags, declare-then-parse like BuildKit's BFlags: an instruction
// declares the flags it knows (bool, string, or repeatable strings), then the
// raw `--name[=value]` words are checked against them. Unknown flags get a
// "did you mean" from the declared names.
import { closest } from "../util/suggest.ts";

type FlagType = "bool" | "string" | "strings";

interface FlagDef {
  type: FlagType;
  value: string;
  values: string[];
}

/** A flag problem; lowering adds the instruction name and location. */
export class FlagError extends Error {}

/** The flags of one instruction. */
export class BFlags {
  private readonly defs = new Map<string, FlagDef>();
  private readonly usedNames = new Set<string>();

  constructor(private readonly args: readonly string[]) {}

  private add(name: string, type: FlagType, value: string): FlagDef {
    const def: FlagDef = { type, value, values: [] };
    this.defs.set(name, def);
    return def;
  }

  /** Declare `--name` / `--name=true|false`. */
  bool(name: string, def = false): () => boolean {
    const d = this.add(name, "bool", def ? "true" : "false");
    return () => d.value === "true";
  }

  /** Declare `--name=value`; the getter gives undefined when the flag was not used. */
  string(name: string): () => string | undefined {
    const d = this.add(name, "string", "");
    return () => (this.usedNames.has(name) ? d.value : undefined);
  }

  /** Declare a repeatable `--name=value`. */
  strings(name: string): () => string[] {
    const d = this.add(name, "strings", "");
    return () => [...d.values];
  }

  /** True when `--name` appeared. */
  isUsed(name: string): boolean {
    return this.usedNames.has(name);
  }

  /** Flags that appeared, in declaration order. */
  used(): string[] {
    return [...this.defs.keys()].filter((n) => this.usedNames.has(n));
  }

  /** Check the raw words against the declarations. Throws FlagError. */
  parse(): void {
    for (const raw of this.args) {
      if (!raw.startsWith("--")) throw new FlagError(`Arg should start with -- : ${raw}`);
      if (raw === "--") return;
      const body = raw.slice(2);
      const eq = body.indexOf("=");
      const name = eq >= 0 ? body.slice(0, eq) : body;
      const value = eq >= 0 ? body.slice(eq + 1) : "";
      const def = this.defs.get(name);
      if (!def) {
        const guess = closest(name, this.defs.keys());
        throw new FlagError(`unknown flag: --${name}${guess ? ` (did you mean --${guess}?)` : ""}`);
      }
      if (this.usedNames.has(name) && def.type !== "strings") throw new FlagError(`Duplicate flag specified: --${name}`);
      this.usedNames.add(name);
      if (def.type === "bool") {
        if (eq >= 0 && value === "") throw new FlagError(`Missing a value on flag: --${name}`);
        const lower = value.toLowerCase();
        if (lower === "") def.value = "true";
        else if (lower === "true" || lower === "false") def.value = lower;
        else throw new FlagError(`Expecting boolean value for flag --${name}, not: ${value}`);
      } else {
        if (eq < 0) throw new FlagError(`Missing a value on flag: --${name}`);
        if (def.type === "string") def.value = value;
        else def.values.push(value);
      }
    }
  }
}
