import { writeSync } from "node:fs";
import { defineCommand } from "citty";
import { UsageError } from "../../errors.ts";
import { formatReference, isReference, parseReference, repositoryName } from "../../image/index.ts";
import { pushImage } from "../../registry/index.ts";
import { registryArgs, registryOptions } from "./_registry-args.ts";
import { StoreAdapter } from "./_registry-store.ts";
import { openStore, printOut } from "./_shared.ts";
import { transferProgress } from "./_transfer-progress.ts";

export default defineCommand({
  meta: { name: "push", description: "Upload an image to a registry" },
  args: {
    image: { type: "positional", description: "Local image: NAME[:TAG] (or an id when DESTINATION is given)", valueHint: "image" },
    destination: { type: "positional", required: false, description: "Where to push it: [REGISTRY/]NAME[:TAG] (default: IMAGE's own name)", valueHint: "destination" },
    quiet: { type: "boolean", alias: ["q"], description: "Print only the pushed digest" },
    "chunk-size": { type: "string", valueHint: "bytes", description: "Upload blobs bigger than this in chunks (default 64 MiB)" },
    ...registryArgs,
  },
  async run({ args }) {
    const source = String(args.image);
    const destination = typeof args.destination === "string" ? args.destination : source;
    using store = await openStore();
    const image = await store.getImage(source);
    const ref = parseReference(destination);
    if (args.destination === undefined && (!isReference(source) || !image.names.includes(formatReference(ref)))) {
      throw new UsageError(`"${source}" is not a name of a local image`, {
        hint: `tag it first (kiln tag ${source} REGISTRY/NAME:TAG) or give a destination: kiln push ${source} REGISTRY/NAME:TAG`,
      });
    }
    const quiet = args.quiet === true;
    if (!quiet) writeSync(2, `The push refers to repository [${repositoryName(ref)}]\n`);
    using adapter = new StoreAdapter(store);
    const progress = quiet ? undefined : transferProgress();
    const chunk = typeof args["chunk-size"] === "string" ? Number(args["chunk-size"]) : undefined;
    if (chunk !== undefined && !(chunk > 0)) throw new UsageError(`invalid --chunk-size "${args["chunk-size"]}": expected a number of bytes`);
    const result = await pushImage(await adapter.source(image), ref, { ...registryOptions(args), progress, chunkSize: chunk });
    progress?.finish();
    printOut(quiet ? `${result.digest}\n` : `${result.tag ?? ref.digest}: digest: ${result.digest} size: ${result.size}\n`);
  },
});
