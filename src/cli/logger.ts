import { writeSync } from "node:fs";
import type { ConsolaInstance } from "consola";

/**
 * The one logger of kiln. It writes everything to stderr (stdout carries only
 * results: ids, tables, a container's own output). RUN output never passes
 * through it: consola coalesces repeated lines and decorates them.
 *
 * consola is created on the first message that is actually printed: loading
 * it costs more than a whole cached build (see SLOW_TO_LOAD in scripts/lint.ts),
 * and most runs print no log line at all. It writes with fs.writeSync on fd 2
 * rather than process.stderr, whose initialisation is slow too.
 */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  success(...args: unknown[]): void;
  log(...args: unknown[]): void;
}

const LEVELS: Record<string, number> = { silent: -999, error: 0, warn: 1, info: 3, debug: 4, trace: 5 };
const LEVEL_OF: Record<keyof Logger, number> = { error: 0, warn: 1, log: 2, info: 3, success: 3, debug: 4 };

function levelFromEnv(): number {
  if (process.env.KILN_DEBUG === "1") return LEVELS.debug!;
  const named = process.env.KILN_LOG_LEVEL;
  if (named && named in LEVELS) return LEVELS[named]!;
  return LEVELS.info!;
}

let level = levelFromEnv();
let instance: ConsolaInstance | undefined;

function consola(): ConsolaInstance {
  if (!instance) {
    const { createConsola } = require("consola/basic") as typeof import("consola/basic");
    const stderr = { write: (s: string) => writeSync(2, s) } as unknown as NodeJS.WriteStream;
    instance = createConsola({
      stdout: stderr,
      stderr,
      level,
      // Never fold repeated lines: every line a user sees must be the real one.
      throttle: 0,
      formatOptions: { date: false, colors: false },
    });
  }
  instance.level = level;
  return instance;
}

function method(name: keyof Logger) {
  return (...args: unknown[]): void => {
    if (LEVEL_OF[name] <= level) consola()[name](...(args as [unknown]));
  };
}

export const logger: Logger = {
  debug: method("debug"),
  info: method("info"),
  warn: method("warn"),
  error: method("error"),
  success: method("success"),
  log: method("log"),
};

/** Whether debug lines are printed at the level KILN_DEBUG / KILN_LOG_LEVEL set now (consola stays unloaded). */
export function debugLogEnabled(): boolean {
  return levelFromEnv() >= LEVELS.debug!;
}

/** Re-read the level after --debug / --log-level were applied to the environment. */
export function refreshLogLevel(): void {
  level = levelFromEnv();
}
