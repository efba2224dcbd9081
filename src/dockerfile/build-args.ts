// Build arguments: the predefined ones (platform and proxy variables), the
// global ARGs declared before the first FROM ("meta args", usable in FROM
// lines), and the value an ARG takes inside a stage.
import type { ArgDefinition, ArgInstruction } from "./instructions.ts";
import { expandWord } from "./shell-lex.ts";
import type { DockerfileError } from "../errors.ts";
import type { EscapeToken } from "./directives.ts";
import { locateError, type SourceContext } from "./range.ts";

/** An OCI platform. */
export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** Proxy variables: accepted as --build-arg without an ARG line, passed to RUN, kept out of history. */
export const PROXY_ARGS: readonly string[] = [
  "HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "FTP_PROXY", "ftp_proxy",
  "NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy",
];

/** Platform variables, defined in the global scope without an ARG line. */
export const PLATFORM_ARGS: readonly string[] = [
  "TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT", "BUILDPLATFORM", "BUILDOS", "BUILDARCH", "BUILDVARIANT",
];

/** Docker's predefined ARGs (platform and proxy variables). */
export function isPredefinedArg(name: string): boolean {
  return PROXY_ARGS.includes(name) || PLATFORM_ARGS.includes(name);
}

/** `linux/arm64/v8`. */
export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** TARGET* and BUILD* values for a target and a build platform. */
export function platformArgs(target: Platform, build: Platform): Record<string, string> {
  return {
    TARGETPLATFORM: formatPlatform(target),
    TARGETOS: target.os,
    TARGETARCH: target.architecture,
    TARGETVARIANT: target.variant ?? "",
    BUILDPLATFORM: formatPlatform(build),
    BUILDOS: build.os,
    BUILDARCH: build.architecture,
    BUILDVARIANT: build.variant ?? "",
  };
}

/**
 * Values of the global ARGs, in order: a --build-arg wins, else the default
 * expanded with the global values defined so far (platform args included).
 * Returns the environment FROM lines are expanded with.
 */
export function resolveMetaArgs(
  metaArgs: readonly ArgInstruction[],
  buildArgs: Readonly<Record<string, string>>,
  predefined: Readonly<Record<string, string>>,
  opts: SourceContext & { escape?: EscapeToken; onError?: (err: DockerfileError) => void } = {},
): Record<string, string> {
  const env: Record<string, string> = { ...predefined };
  for (const inst of metaArgs) {
    for (const def of inst.args) {
      if (Object.hasOwn(buildArgs, def.key)) env[def.key] = buildArgs[def.key]!;
      else if (def.value !== undefined) {
        try {
          env[def.key] = expandWord(def.value, env, opts.escape).result;
        } catch (err) {
          const located = locateError(err, inst.range, opts, "E_DOCKERFILE_EXPANSION");
          located.message = `ARG: ${located.message}`;
          if (!opts.onError) throw located;
          opts.onError(located);
        }
      }
    }
  }
  return env;
}

/**
 * The value `ARG key[=default]` takes inside a stage (BuildKit's dispatchArg):
 * a --build-arg wins, else its own default (expand it first with
 * expandInstruction), else the global value of a global ARG of the same name
 * (platform args included), else none: declared but unset.
 */
export function stageArgValue(
  def: ArgDefinition,
  buildArgs: Readonly<Record<string, string>>,
  metaEnv: Readonly<Record<string, string>>,
): string | undefined {
  if (Object.hasOwn(buildArgs, def.key)) return buildArgs[def.key];
  if (def.value !== undefined) return def.value;
  return Object.hasOwn(metaEnv, def.key) ? metaEnv[def.key] : undefined;
}
