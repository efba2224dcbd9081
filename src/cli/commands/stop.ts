import { defineCommand } from "citty";
import { join } from "node:path";
import { KilnError } from "../../errors.ts";
import { ContainerStore, stopContainer } from "../../sandbox/index.ts";
import { resolveStoreRoot } from "../../store/index.ts";
import { printOut } from "./_shared.ts";

export default defineCommand({
  meta: { name: "stop", description: "Stop one or more running containers" },
  args: {
    time: { type: "string", alias: ["t"], default: "10", description: "Seconds to wait before killing the container", valueHint: "int" },
    containers: { type: "positional", multiple: true, description: "Container names or IDs" },
  },
  async run({ args }) {
    const names = args.containers as unknown as string[];
    if (names.length === 0) throw new KilnError("E_USAGE", '"kiln stop" requires at least 1 argument.', { exitCode: 2 });
    const containers = new ContainerStore(join(resolveStoreRoot(process.env.KILN_ROOT), "containers"));
    const failed: string[] = [];
    for (const name of names) {
      try {
        await stopContainer(containers, containers.find(name), Number(args.time));
        printOut(`${name}\n`);
      } catch (err) {
        failed.push(err instanceof Error ? err.message : String(err));
      }
    }
    if (failed.length > 0) throw new KilnError("E_CONTAINER_NOT_FOUND", failed.join("\n"));
  },
});
