import { defineCommand } from "citty";
import { closeSync, fsyncSync, openSync, renameSync, rmSync } from "node:fs";
import { UsageError } from "../../errors.ts";
import { saveArchive, selectForSave, type ArchiveFormat } from "../../store/index.ts";
import { tempPathFor } from "../../util/fs-atomic.ts";
import { writeAll } from "../../util/write-all.ts";
import { openStore, printOut, stdoutIsTerminal } from "./_shared.ts";

export default defineCommand({
  meta: { name: "save", description: "Save one or more images to a tar archive (streamed to STDOUT by default)" },
  args: {
    images: { type: "positional", multiple: true, description: "IMAGE [IMAGE...]" },
    output: { type: "string", alias: ["o"], description: "Write to a file, instead of STDOUT", valueHint: "string" },
    format: { type: "enum", options: ["docker-archive", "oci-archive"], default: "docker-archive", description: "Archive format: docker-archive (docker load reads it) or oci-archive" },
  },
  async run({ args }) {
    const names = args.images as unknown as string[];
    if (names.length === 0) throw new UsageError('"kiln save" requires at least 1 argument', { hint: "See 'kiln save --help'." });
    const output = typeof args.output === "string" ? args.output : undefined;
    if (!output && stdoutIsTerminal()) {
      throw new UsageError("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    }
    using store = await openStore();
    const items = await selectForSave(store, names);
    const format = args.format as ArchiveFormat;
    if (!output) {
      await saveArchive(store, items, format, (chunk) => printOut(chunk));
      return;
    }
    // A file appears whole or not at all: written beside the target, then renamed.
    const tmp = tempPathFor(output);
    const fd = openSync(tmp, "wx", 0o644);
    try {
      await saveArchive(store, items, format, (chunk) => {
        writeAll(fd, chunk);
      });
      fsyncSync(fd);
      closeSync(fd);
      renameSync(tmp, output);
    } catch (err) {
      closeSync(fd);
      rmSync(tmp, { force: true });
      throw err;
    }
  },
});
