import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { UsageError } from "../../errors.ts";
import { loadArchive } from "../../store/index.ts";
import { openStore, printOut } from "./_shared.ts";

export default defineCommand({
  meta: { name: "load", description: "Load an image from a tar archive or STDIN" },
  args: {
    input: { type: "string", alias: ["i"], description: "Read from tar archive file, instead of STDIN", valueHint: "string" },
    quiet: { type: "boolean", alias: ["q"], description: "Suppress the load output" },
  },
  async run({ args }) {
    const input = typeof args.input === "string" ? args.input : undefined;
    if (input && !existsSync(input)) throw new UsageError(`open ${input}: no such file or directory`);
    if (!input && (require("node:tty") as typeof import("node:tty")).isatty(0)) {
      throw new UsageError("requested load from stdin, but stdin is empty", { hint: "pipe an archive in, or use -i FILE" });
    }
    using store = await openStore();
    await loadArchive(store, input ?? Bun.stdin.stream(), (line) => {
      if (!args.quiet || line.startsWith("Loaded image")) printOut(`${line}\n`);
    });
  },
});
