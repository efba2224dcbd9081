import { existsSync } from "node:fs";
import { join } from "node:path";
import { defineCommand } from "citty";
import { imageUsers } from "./_containers.ts";
import { humanSize } from "./_format.ts";
import { openStore, printOut } from "./_shared.ts";
import { logger } from "../logger.ts";

export default defineCommand({
  meta: { name: "prune", description: "Remove dangling images, unused blobs and snapshots, and leftovers of interrupted commands" },
  args: {
    all: { type: "boolean", alias: ["a"], description: "Also remove the build cache (and the intermediate images only it keeps)" },
    force: { type: "boolean", alias: ["f"], description: "Do not prompt for confirmation (kiln never prompts; accepted for docker compatibility)" },
  },
  async run({ args }) {
    // Rootless, snapshots hold files of the user's sub-ids that only kiln's user
    // namespace may delete: cli/main has entered it before any store command.
    using store = await openStore();
    const report = await store.prune({
      all: Boolean(args.all),
      // Like Docker's image prune: not an image a container (running or stopped) was created from.
      keepImages: () => imageUsers(store.root).keys(),
      onWait: () => logger.info("waiting for other kiln processes to finish with the store…"),
    });
    // The build's stat-keyed hashes of context dirs that are gone (build.db is not the store's: opened only if it exists).
    const buildDir = join(store.root, "build");
    if (existsSync(join(buildDir, "build.db"))) {
      const { BuildDb, forgetMissingContexts } = await import("../../build/index.ts");
      using db = new BuildDb(buildDir);
      logger.debug(`prune: hashes of ${forgetMissingContexts(db)} missing context dir(s) forgotten`);
    }
    let out = "";
    if (report.deletedImages.length > 0) out += `Deleted Images:\n${report.deletedImages.map((id) => `deleted: ${id}\n`).join("")}\n`;
    if (args.all) out += `Deleted build cache objects: ${report.cacheEntries}\n\n`;
    out += `Total reclaimed space: ${humanSize(report.reclaimed)}\n`;
    printOut(out);
    logger.debug(`prune: ${report.blobs} blobs, ${report.snapshots} snapshots, ${report.tempEntries} temp entries removed`);
    if (report.failures.length > 0) {
      logger.warn(`could not remove ${report.failures.length} path(s):\n${report.failures.join("\n")}`);
    }
  },
});
