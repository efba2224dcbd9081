/**
 * Build arguments, with the rules of Docker's classic builder (builder/dockerfile/buildargs.go):
 * - `--build-arg K=V` values override ARG defaults but only reach instructions
 *   after an `ARG K` in scope (or the proxy variables, which need no ARG);
 * - ARGs declared before the first FROM ("meta args") are visible to FROM lines
 *   and give the default of an `ARG K` without value inside a stage;
 * - ENV of the same name wins over an ARG;
 * - the values a RUN sees enter its cache key and its history as `|N K=V … cmd`,
 *   but never the image config.
 * Immutable: every change returns a new scope.
 */

/** Proxy variables Docker passes to RUN without an ARG, and keeps out of the cache key. */
export const BUILTIN_ARGS: ReadonlySet<string> = new Set([
  "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
  "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
]);

export interface ArgScope {
  /** --build-arg values; `undefined` = named without a value and absent from the environment. */
  readonly options: ReadonlyMap<string, string | undefined>;
  /** Meta args (before the first FROM), after expansion. */
  readonly meta: ReadonlyMap<string, string | undefined>;
  /** ARGs declared in the current stage, with their default (undefined = none). */
  readonly declared: ReadonlyMap<string, string | undefined>;
}

/** A scope from the command line's --build-arg list (`K=V`, or `K` to take K from `env`). */
export function newArgScope(buildArgs: readonly string[], env: Record<string, string | undefined> = {}): ArgScope {
  const options = new Map<string, string | undefined>();
  for (const a of buildArgs) {
    const eq = a.indexOf("=");
    if (eq === -1) options.set(a, env[a]);
    else options.set(a.slice(0, eq), a.slice(eq + 1));
  }
  return { options, meta: new Map(), declared: new Map() };
}

/** Declare a meta ARG (before the first FROM). */
export function declareMetaArg(scope: ArgScope, key: string, defaultValue: string | undefined): ArgScope {
  const meta = new Map(scope.meta);
  const opt = scope.options.get(key);
  meta.set(key, opt ?? defaultValue);
  return { ...scope, meta };
}

/** Declare an ARG inside a stage. */
export function declareArg(scope: ArgScope, key: string, defaultValue: string | undefined): ArgScope {
  const declared = new Map(scope.declared);
  declared.set(key, defaultValue);
  return { ...scope, declared };
}

/** The scope a new stage starts with: options and meta args, no stage ARGs. */
export function enterStage(scope: ArgScope): ArgScope {
  return { ...scope, declared: new Map() };
}

/** The value an arg has in this stage, if it has one (Docker's getBuildArg). */
export function argValue(scope: ArgScope, key: string): string | undefined {
  const declared = scope.declared.has(key);
  if (!declared && !BUILTIN_ARGS.has(key)) return undefined;
  const opt = scope.options.get(key);
  if (opt !== undefined) return opt;
  const def = scope.declared.get(key);
  if (def !== undefined) return def;
  return scope.meta.get(key);
}

/** Values visible to FROM lines: meta args (with --build-arg overrides). */
export function metaEnv(scope: ArgScope): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of scope.meta) if (v !== undefined) out.set(k, v);
  return out;
}

/**
 * `K=V` for every arg in scope with a value that ENV does not shadow, sorted
 * (Docker's FilterAllowed): the extra environment of a RUN.
 */
export function allowedArgs(scope: ArgScope, env: readonly string[]): string[] {
  const envKeys = new Set(env.map((e) => e.split("=", 1)[0]!));
  const keys = new Set([...scope.declared.keys(), ...[...scope.options.keys()].filter((k) => BUILTIN_ARGS.has(k))]);
  const out: string[] = [];
  for (const k of keys) {
    if (envKeys.has(k)) continue;
    const v = argValue(scope, k);
    if (v !== undefined) out.push(`${k}=${v}`);
  }
  return out.sort();
}

/**
 * The `|N K=V …` prefix Docker puts before a RUN's command in its history and
 * cache key: allowed args, minus proxy variables nobody declared. As in Docker,
 * a RUN that only got undeclared proxy variables still says `|0`.
 */
export function runArgsPrefix(scope: ArgScope, allowed: readonly string[]): string[] {
  const shown = allowed.filter((kv) => {
    const k = kv.split("=", 1)[0]!;
    return scope.declared.has(k) || !BUILTIN_ARGS.has(k);
  });
  return allowed.length === 0 ? [] : [`|${shown.length}`, ...shown];
}

/** --build-arg names that no ARG of any built stage declared (Docker warns about them). */
export function unusedBuildArgs(options: ReadonlyMap<string, unknown>, used: ReadonlySet<string>): string[] {
  return [...options.keys()].filter((k) => !used.has(k) && !BUILTIN_ARGS.has(k)).sort();
}
