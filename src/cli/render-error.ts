import { DockerfileError, KilnError } from "../errors.ts";

function isDebug(): boolean {
  return process.env.KILN_DEBUG === "1";
}

/**
 * Turn any thrown value into the text the user sees on stderr. A Dockerfile
 * problem starts with `Dockerfile:LINE:`; every other KilnError with `Error:`;
 * a hint follows on its own line; the stack only with --debug.
 */
export function renderError(err: unknown): string {
  const lines: string[] = [];
  if (err instanceof DockerfileError) {
    lines.push(err.located);
    if (err.snippet) lines.push(err.snippet);
  } else if (err instanceof KilnError) {
    lines.push(`Error: ${err.message}`);
  } else if (err instanceof Error) {
    lines.push(`Error: internal error: ${err.message}`);
    if (!isDebug()) lines.push("This is a bug in kiln; run again with --debug for the stack and report it.");
  } else {
    lines.push(`Error: ${String(err)}`);
  }
  if (err instanceof KilnError && err.hint) lines.push(`hint: ${err.hint}`);
  if (isDebug() && err instanceof Error && err.stack) lines.push(err.stack);
  return lines.join("\n");
}

/** Exit status for an error: usage errors 2, a failed RUN passes its code on, others 1. */
export function exitCodeOf(err: unknown): number {
  return err instanceof KilnError ? err.exitCode : 1;
}
