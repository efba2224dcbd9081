import { createConsola, type ConsolaInstance } from "consola";

/**
 * The one logger of kiln. It writes everything to stderr (stdout carries only
 * results: ids, tables, a container's own output). RUN output never passes
 * through it: consola coalesces repeated lines and decorates them.
 */
export type Logger = Pick<ConsolaInstance, "debug" | "info" | "warn" | "error" | "success" | "log">;

const LEVELS: Record<string, number> = { silent: -999, error: 0, warn: 1, info: 3, debug: 4, trace: 5 };

function levelFromEnv(): number {
  if (process.env.KILN_DEBUG === "1") return LEVELS.debug!;
  const named = process.env.KILN_LOG_LEVEL;
  if (named && named in LEVELS) return LEVELS[named]!;
  return LEVELS.info!;
}

export const logger: ConsolaInstance = createConsola({
  stdout: process.stderr,
  stderr: process.stderr,
  level: levelFromEnv(),
  // Never fold repeated lines: every line a user sees must be the real one.
  throttle: 0,
  formatOptions: { date: false, colors: process.stderr.isTTY === true },
});

/** Re-read the level after --debug / --log-level were applied to the environment. */
export function refreshLogLevel(): void {
  logger.level = levelFromEnv();
}
