import { defineCommand } from "citty";
import { KilnError, StoreError, UsageError } from "../../errors.ts";
import { imageUsers } from "./_containers.ts";
import { openStore, printOut } from "./_shared.ts";

export default defineCommand({
  meta: { name: "rmi", description: "Remove one or more images" },
  args: {
    images: { type: "positional", multiple: true, description: "IMAGE [IMAGE...]" },
    force: { type: "boolean", alias: ["f"], description: "Force removal of the image" },
    "no-prune": { type: "boolean", description: "Do not delete untagged parents" },
  },
  async run({ args }) {
    const names = args.images as unknown as string[];
    if (names.length === 0) throw new UsageError('"kiln rmi" requires at least 1 argument', { hint: "See 'kiln rmi --help'." });
    using store = await openStore();
    const users = imageUsers(store.root);
    // Like docker: go on with the next image after a failure, and fail at the end.
    const failures: KilnError[] = [];
    for (const name of names) {
      try {
        const lines = await store.removeImage(name, { force: Boolean(args.force), noPrune: Boolean(args["no-prune"]), users });
        printOut(lines.map((l) => `${l}\n`).join(""));
      } catch (err) {
        if (!(err instanceof KilnError)) throw err;
        failures.push(err);
      }
    }
    if (failures.length === 1) throw failures[0];
    if (failures.length > 1) {
      throw new StoreError(failures[0]!.code, failures.map((f) => f.message).join("\nError: "), { hint: failures[0]!.hint });
    }
  },
});
