import { lstatSync, type Stats } from "node:fs";

/**
 * lstat (never following a symlink) that answers undefined where there is
 * nothing to describe: a missing path, a path through a non-directory, one we
 * may not search. Walkers of hostile or foreign trees (layer roots, snapshot
 * dirs) ask "what is here?" far more often than they may fail.
 */
export function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}
