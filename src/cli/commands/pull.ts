import { writeSync } from "node:fs";
import { defineCommand } from "citty";
import { familiarName, parseReference } from "../../image/index.ts";
import { pullImage } from "../../registry/index.ts";
import { registryArgs, registryOptions } from "./_registry-args.ts";
import { platformFlag, StoreAdapter } from "./_registry-store.ts";
import { openStore, printOut } from "./_shared.ts";
import { transferProgress } from "./_transfer-progress.ts";

const err = (s: string) => void writeSync(2, `${s}\n`);

export default defineCommand({
  meta: { name: "pull", description: "Download an image from a registry" },
  args: {
    name: { type: "positional", description: "NAME[:TAG|@DIGEST]", valueHint: "name" },
    platform: { type: "string", valueHint: "os/arch[/variant]", description: "Pick this platform from a multi-platform image (default: this host's)" },
    quiet: { type: "boolean", alias: ["q"], description: "Print only the image reference" },
    ...registryArgs,
  },
  async run({ args }) {
    const input = String(args.name);
    const ref = parseReference(input);
    const platform = platformFlag(args.platform);
    const quiet = args.quiet === true;
    if (!quiet) {
      if (!/[:@]/.test(input.split("/").pop()!)) err(`Using default tag: ${ref.tag}`);
      err(`${ref.tag ?? ref.digest}: Pulling from ${ref.path}`);
    }
    using store = await openStore();
    using sink = new StoreAdapter(store);
    const progress = quiet ? undefined : transferProgress();
    const result = await pullImage(ref, sink, { ...registryOptions(args), platform, progress });
    progress?.finish();
    const name = familiarName(ref);
    if (!quiet) {
      if (result.upToDate) err(`Status: Image is up to date for ${name}`);
      else {
        err(`Digest: ${result.remoteDigest}`);
        err(`Status: Downloaded newer image for ${name}`);
      }
    }
    printOut(`${result.ref}\n`);
  },
});
