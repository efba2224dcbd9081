import { Store } from "../../store/index.ts";
import type { KilnArgDef } from "../flags.ts";
import { logger } from "../logger.ts";

// Flag fragments shared by commands (spelled as docker spells them) and the
// helpers every store command needs. --root is global (cli/main puts it in
// KILN_ROOT before a command runs).

export const formatArgs = {
  format: { type: "string", description: "Format output using a custom template ('json', 'table', or a Go template)", valueHint: "string" },
} as const satisfies Record<string, KilnArgDef>;

export const quietArgs = {
  quiet: { type: "boolean", alias: ["q"], description: "Only show image IDs" },
} as const satisfies Record<string, KilnArgDef>;

export const noTruncArgs = {
  "no-trunc": { type: "boolean", description: "Don't truncate output" },
} as const satisfies Record<string, KilnArgDef>;

export const forceArgs = {
  force: { type: "boolean", alias: ["f"], description: "Force" },
} as const satisfies Record<string, KilnArgDef>;

/** Open the store named by --root / KILN_ROOT (or the default), saying so if another kiln holds it. */
export function openStore(): Promise<Store> {
  return Store.open({
    root: process.env.KILN_ROOT,
    lock: { onWait: () => logger.info("waiting for another kiln process (prune) to finish with the store…") },
    onWarning: (message) => logger.warn(message),
  });
}

/** Results go to stdout through cli/output.ts (a closed stdout is dropped quietly). */
export { printOut, stdoutClosed } from "../output.ts";

/** Is fd 1 a terminal? (Checked lazily: node:tty is slow to load.) */
export function stdoutIsTerminal(): boolean {
  const tty = require("node:tty") as typeof import("node:tty");
  return tty.isatty(1);
}
