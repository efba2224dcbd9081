import { defineCommand } from "citty";
import { stopContainer } from "../../sandbox/index.ts";
import { forEachContainer } from "./_containers.ts";

export default defineCommand({
  meta: { name: "stop", description: "Stop one or more running containers" },
  args: {
    time: { type: "string", alias: ["t"], default: "10", description: "Seconds to wait before killing the container", valueHint: "int" },
    containers: { type: "positional", multiple: true, description: "Container names or IDs" },
  },
  async run({ args }) {
    const seconds = Number(args.time);
    await forEachContainer("stop", args.containers as unknown as string[], (store, rec) => stopContainer(store, rec, seconds));
  },
});
