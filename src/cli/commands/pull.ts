import { defineCommand } from "citty";
import { KilnError } from "../../errors.ts";

// Placeholder until the issue that owns this command lands; see README "Status".
export default defineCommand({
  meta: { name: "pull", description: "(not yet implemented)" },
  args: {},
  run() {
    throw new KilnError("E_NOT_IMPLEMENTED", "'kiln pull' is not implemented yet");
  },
});
