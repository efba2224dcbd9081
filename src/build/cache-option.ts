/**
 * The values of `kiln build --cache-from` / `--cache-to`. Three spellings
 * name a registry cache at REF:
 *   registry:REF                         kiln's short form
 *   type=registry,ref=REF[,mode=max][,ignore-error=true]   BuildKit's (docker buildx)
 *   REF                                  a bare reference, as `docker build --cache-from` takes it
 * Only what kiln does is accepted: BuildKit's other cache types and options
 * are usage errors rather than silently ignored.
 */
import { UsageError } from "../errors.ts";
import { parseReference } from "../image/index.ts";

export interface CacheOption {
  /** The reference as written (validated). */
  ref: string;
  /** --cache-to only: a failed export is a warning, not an error (BuildKit's ignore-error=true). */
  ignoreError: boolean;
}

const KNOWN_TO = new Set(["type", "ref", "mode", "ignore-error"]);
const KNOWN_FROM = new Set(["type", "ref"]);

/** Parse one --cache-from / --cache-to value. */
export function parseCacheOption(value: string, flag: "cache-from" | "cache-to"): CacheOption {
  const hint = `write --${flag} registry:REGISTRY/NAME:TAG or --${flag} type=registry,ref=REGISTRY/NAME:TAG`;
  let ref: string | undefined;
  let ignoreError = false;
  if (value.startsWith("type=") || /(^|,)ref=/.test(value)) {
    const fields = new Map<string, string>();
    for (const part of value.split(",")) {
      const eq = part.indexOf("=");
      if (eq <= 0) throw new UsageError(`invalid --${flag} "${value}": "${part}" is not KEY=VALUE`, { hint });
      fields.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
    }
    const type = fields.get("type") ?? "registry";
    if (type !== "registry") {
      throw new UsageError(`--${flag} type=${type} is not supported: kiln keeps a shared build cache in a registry only`, {
        hint: `${hint} (the local cache is always used)`,
      });
    }
    const known = flag === "cache-to" ? KNOWN_TO : KNOWN_FROM;
    for (const k of fields.keys()) {
      if (!known.has(k)) throw new UsageError(`--${flag}: option "${k}" is not supported`, { hint: `kiln takes ${[...known].join(", ")}` });
    }
    const mode = fields.get("mode");
    if (mode !== undefined && mode !== "max") {
      throw new UsageError(`--${flag} mode=${mode} is not supported: kiln always exports every step (mode=max)`, { hint: "drop mode=, or write mode=max" });
    }
    const ie = fields.get("ignore-error");
    if (ie !== undefined && ie !== "true" && ie !== "false") throw new UsageError(`--${flag} ignore-error=${ie}: expected true or false`);
    ignoreError = ie === "true";
    ref = fields.get("ref");
  } else if (value.startsWith("registry:") && !/^registry:\d+\//.test(value)) {
    // "registry:5000/x" is a reference to a host named registry, not the prefix.
    ref = value.slice("registry:".length);
  } else {
    ref = value;
  }
  if (!ref) throw new UsageError(`--${flag} "${value}" names no reference`, { hint });
  try {
    const parsed = parseReference(ref);
    if (flag === "cache-to" && parsed.digest) throw new UsageError(`--cache-to ${ref}: a cache is written under a tag, not a digest`, { hint: "name a tag, e.g. REGISTRY/NAME:buildcache" });
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`invalid --${flag} reference "${ref}": ${(err as Error).message}`, { hint });
  }
  return { ref, ignoreError };
}
