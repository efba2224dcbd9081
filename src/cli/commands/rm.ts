import { defineCommand } from "citty";
import { KilnError } from "../../errors.ts";
import { removeContainer } from "../../sandbox/index.ts";
import { forEachContainer } from "./_containers.ts";
import { forceArgs } from "./_shared.ts";

export default defineCommand({
  meta: { name: "rm", description: "Remove one or more containers" },
  args: {
    ...forceArgs,
    containers: { type: "positional", multiple: true, description: "Container names or IDs" },
  },
  async run({ args }) {
    const force = args.force === true;
    // rm -f of a container that does not exist is not an error (docker rm -f).
    const missing = (err: unknown) => force && err instanceof KilnError && err.code === "E_CONTAINER_NOT_FOUND";
    await forEachContainer("rm", args.containers as unknown as string[], (store, rec) => removeContainer(store, rec, force), missing);
  },
});
