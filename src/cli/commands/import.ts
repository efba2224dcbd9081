import { defineCommand } from "citty";
import { existsSync } from "node:fs";
import { KilnError, UsageError } from "../../errors.ts";
import { parsePlatform } from "../../image/index.ts";
import { importRootfs, tagReference } from "../../store/index.ts";
import { applyChanges } from "./_changes.ts";
import { openStore, printOut } from "./_shared.ts";

/** The tarball as a stream: a file, `-` for stdin, or an http(s) URL. */
async function openSource(source: string): Promise<ReadableStream<Uint8Array>> {
  if (source === "-") return Bun.stdin.stream();
  if (/^https?:\/\//.test(source)) {
    const res = await fetch(source);
    if (!res.ok || !res.body) throw new KilnError("E_USAGE", `cannot download ${source}: HTTP ${res.status}`);
    return res.body;
  }
  if (!existsSync(source)) throw new UsageError(`open ${source}: no such file or directory`);
  return Bun.file(source).stream();
}

export default defineCommand({
  meta: { name: "import", description: "Import the contents from a tarball to create a filesystem image" },
  args: {
    file: { type: "positional", description: "file|URL|- (a root filesystem tar, plain or compressed)" },
    reference: { type: "positional", required: false, description: "REPOSITORY[:TAG]" },
    change: { type: "string", alias: ["c"], multiple: true, description: "Apply Dockerfile instruction to the created image", valueHint: "list" },
    message: { type: "string", alias: ["m"], description: "Set commit message for imported image", valueHint: "string" },
    platform: { type: "string", description: "Set platform if server is multi-platform capable", valueHint: "string" },
  },
  async run({ args }) {
    const source = String(args.file);
    // Parse everything before reading the (possibly large) input.
    const config = applyChanges((args.change as string[] | undefined) ?? []);
    const platform = typeof args.platform === "string" ? parsePlatform(args.platform) : undefined;
    const tags = typeof args.reference === "string" ? [tagReference(args.reference)] : [];
    using store = await openStore();
    const rec = await importRootfs(store, await openSource(source), {
      tags,
      config,
      platform,
      message: typeof args.message === "string" ? args.message : undefined,
      source: source === "-" || !/^https?:\/\//.test(source) ? "-" : source,
      extract: true,
    });
    printOut(`${rec.id}\n`);
  },
});
