import { chmodSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { errnoCode } from "../errors.ts";
import { lstatOrUndefined } from "../util/lstat.ts";

function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

/** Bytes held by regular files under `path` (hard links counted once), without following symlinks. */
export function treeSize(path: string): number {
  const seen = new Set<string>();
  let total = 0;
  const walk = (p: string): void => {
    const st = lstatOrUndefined(p);
    if (st?.isDirectory()) for (const n of namesIn(p)) walk(join(p, n));
    else if (st?.isFile()) {
      const key = `${st.dev}:${st.ino}`;
      if (st.nlink > 1 && seen.has(key)) return;
      seen.add(key);
      total += st.size;
    }
  };
  walk(path);
  return total;
}

/** Give the owner rwx on every directory below `path`, so that its entries can be unlinked. */
function openUpDirs(path: string): void {
  if (!lstatOrUndefined(path)?.isDirectory()) return;
  try {
    chmodSync(path, 0o700);
  } catch {
    // not ours to change; the removal that follows reports it
  }
  for (const n of namesIn(path)) openUpDirs(join(path, n));
}

/**
 * rm -rf for trees written by containers: directories without write or
 * search permission (mode 0555, an overlay work dir's 0000 `work/`) are opened
 * up and the removal retried. Files owned by other uids need root (or kiln's
 * user namespace) and fail with the errno.
 */
export function removeTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
    return;
  } catch (err) {
    const code = errnoCode(err);
    if (code !== "EACCES" && code !== "EPERM" && code !== "ENOTEMPTY") throw err;
  }
  openUpDirs(path);
  rmSync(path, { recursive: true, force: true });
}
