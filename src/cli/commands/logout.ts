import { printOut } from "../output.ts";
import { defineCommand } from "citty";
import { logout, normalizeRegistryHost } from "../../registry/index.ts";

export default defineCommand({
  meta: { name: "logout", description: "Log out from a registry" },
  args: {
    server: { type: "positional", required: false, description: "Registry host[:port] (default: docker.io)", valueHint: "server" },
    authfile: { type: "string", valueHint: "file", description: "Credentials file (default: $REGISTRY_AUTH_FILE, ~/.docker/config.json)" },
  },
  async run({ args }) {
    const registry = normalizeRegistryHost(typeof args.server === "string" ? args.server : undefined);
    const removed = await logout(registry, { authFile: typeof args.authfile === "string" ? args.authfile : undefined });
    printOut(removed ? `Removing login credentials for ${registry}\n` : `Not logged in to ${registry}\n`);
  },
});
