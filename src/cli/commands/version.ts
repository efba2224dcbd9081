import { defineCommand } from "citty";
import { writeSync } from "node:fs";
import { COMMIT, VERSION } from "../../version.ts";

export default defineCommand({
  meta: { name: "version", description: "Show the kiln version" },
  args: {},
  run() {
    writeSync(1, `kiln version ${VERSION}, build ${COMMIT}\n`);
  },
});
