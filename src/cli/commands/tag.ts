import { defineCommand } from "citty";
import { openStore } from "./_shared.ts";

export default defineCommand({
  meta: { name: "tag", description: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE" },
  args: {
    source: { type: "positional", description: "SOURCE_IMAGE[:TAG] (name, id or digest)" },
    target: { type: "positional", description: "TARGET_IMAGE[:TAG]" },
  },
  async run({ args }) {
    using store = await openStore();
    await store.tag(String(args.source), String(args.target));
  },
});
