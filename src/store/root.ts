import type * as Os from "node:os";
import { join, resolve } from "node:path";
import { isRealRoot } from "../util/userns.ts";

/**
 * Where the store lives when nobody says otherwise: `/var/lib/kiln` for real
 * root, `$XDG_DATA_HOME/kiln` (`~/.local/share/kiln`) for everyone else.
 * Rootless kiln re-executes itself inside a user namespace where getuid() is 0
 * and sets KILN_IN_USERNS=1; it keeps the original user's HOME, so the user's
 * path is chosen there too.
 */
export function defaultStoreRoot(env: Record<string, string | undefined> = process.env): string {
  if (isRealRoot() && env.KILN_IN_USERNS !== "1") return "/var/lib/kiln";
  const xdg = env.XDG_DATA_HOME;
  if (xdg && xdg.startsWith("/")) return join(xdg, "kiln");
  return join(env.HOME || (require("node:os") as typeof Os).homedir(), ".local/share/kiln");
}

/**
 * The store root for `opts.root`, else $KILN_ROOT, else the default, made
 * absolute: snapshot paths become overlay mount options and skopeo paths.
 */
export function resolveStoreRoot(root?: string, env: Record<string, string | undefined> = process.env): string {
  return resolve(root || env.KILN_ROOT || defaultStoreRoot(env));
}
