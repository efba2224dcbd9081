import { defineCommand } from "citty";
import { COMMIT, VERSION } from "../../version.ts";

export default defineCommand({
  meta: { name: "version", description: "Show the kiln version" },
  args: {},
  run() {
    process.stdout.write(`kiln version ${VERSION}, build ${COMMIT}\n`);
  },
});
