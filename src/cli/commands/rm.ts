import { defineCommand } from "citty";
import { join } from "node:path";
import { KilnError } from "../../errors.ts";
import { ContainerStore, removeContainer } from "../../sandbox/index.ts";
import { resolveStoreRoot } from "../../store/index.ts";
import { forceArgs, printOut } from "./_shared.ts";

export default defineCommand({
  meta: { name: "rm", description: "Remove one or more containers" },
  args: {
    ...forceArgs,
    containers: { type: "positional", multiple: true, description: "Container names or IDs" },
  },
  async run({ args }) {
    const names = args.containers as unknown as string[];
    if (names.length === 0) throw new KilnError("E_USAGE", '"kiln rm" requires at least 1 argument.', { exitCode: 2 });
    const containers = new ContainerStore(join(resolveStoreRoot(process.env.KILN_ROOT), "containers"));
    const failed: string[] = [];
    for (const name of names) {
      try {
        await removeContainer(containers, containers.find(name), args.force === true);
        printOut(`${name}\n`);
      } catch (err) {
        // docker rm goes on with the others and reports every failure at the end.
        if (!(args.force && err instanceof KilnError && err.code === "E_CONTAINER_NOT_FOUND")) failed.push(err instanceof Error ? err.message : String(err));
      }
    }
    if (failed.length > 0) throw new KilnError("E_CONTAINER_NOT_FOUND", failed.join("\n"));
  },
});
