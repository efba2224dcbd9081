import { writeSync } from "node:fs";
import type { ProgressSink, TransferEvent } from "../../registry/index.ts";
import { humanSize } from "./_format.ts";

function bar(current: number, total: number): string {
  const width = 50;
  const done = total > 0 ? Math.min(width, Math.floor((current / total) * width)) : 0;
  return `[${"=".repeat(Math.max(0, done - 1))}${done > 0 ? ">" : ""}${" ".repeat(width - done)}]`;
}

/** The text of one layer's line for an event. */
export function lineFor(e: TransferEvent): string {
  switch (e.kind) {
    case "waiting":
      return "Waiting";
    case "progress":
      return `${e.action} ${bar(e.current, e.total)}  ${humanSize(e.current)}/${humanSize(e.total)}`;
    case "retry":
      return `Retrying (${e.attempt}): ${e.reason}`;
    case "done":
      return e.status;
  }
}

/**
 * A progress sink that renders transfers on stderr: on a terminal one
 * line per layer, redrawn in place (at most 10 times a second); elsewhere
 * (logs, CI) only lines that matter: `a1b2c3d4e5f6: Pull complete`, retries.
 */
export function transferProgress(opts: { tty?: boolean; write?: (s: string) => void } = {}): ProgressSink & { finish(): void } {
  const write = opts.write ?? ((s: string) => void writeSync(2, s));
  const tty = opts.tty ?? process.stderr.isTTY === true;
  const lines = new Map<string, string>();
  let drawn = 0;
  let last = 0;
  const redraw = (force: boolean) => {
    const now = performance.now();
    if (!force && now - last < 100) return;
    last = now;
    let out = drawn > 0 ? `\x1b[${drawn}A` : "";
    for (const [id, text] of lines) out += `\x1b[2K${id}: ${text}\n`;
    drawn = lines.size;
    write(out);
  };
  const sink = (e: TransferEvent) => {
    if (tty) {
      lines.set(e.id, lineFor(e));
      redraw(e.kind !== "progress");
    } else if (e.kind === "done" || e.kind === "retry") {
      write(`${e.id}: ${lineFor(e)}\n`);
    }
  };
  return Object.assign(sink, {
    finish() {
      if (tty && lines.size > 0) redraw(true);
    },
  });
}
