import { defineCommand } from "citty";
import { printOut } from "../output.ts";
import { COMMIT, VERSION } from "../../version.ts";

export default defineCommand({
  meta: { name: "version", description: "Show the kiln version" },
  args: {},
  run() {
    printOut(`kiln version ${VERSION}, build ${COMMIT}\n`);
  },
});
