/**
 * kiln's stdout: results (and build output) written to fd 1 synchronously —
 * no Node stream set-up on the start-up path, nothing lost when kiln exits
 * right after.
 *
 * A closed stdout (`kiln images | head -1`, `kiln build . | true`) is not an
 * error: like git and the docker CLI, kiln says nothing about it. The first
 * write that meets EPIPE marks stdout closed and every later write is
 * dropped; the command itself carries on, and kiln exits with the command's
 * own status (0 if it succeeded). A build then captures RUN output instead of
 * handing fd 1 to the container (where a write would fail the step).
 */
import { writeAll } from "../util/write-all.ts";

let closed = false;

/** Has a write to stdout found its reader gone? */
export function stdoutClosed(): boolean {
  return closed;
}

/** Write `text` to fd 1, all of it (waiting out a full non-blocking pipe), or nothing once stdout is closed. */
export function printOut(text: string | Uint8Array): void {
  if (closed) return;
  if (!writeAll(1, typeof text === "string" ? Buffer.from(text) : text)) closed = true;
}
