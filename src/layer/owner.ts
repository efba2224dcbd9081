// Giving an extracted or copied file its owner. In kiln's user namespace the
// ids a layer names must be mapped: with a sub-id range they are (0..65535),
// but rootless kiln WITHOUT sub-ids maps only the user, as root (DESIGN.md:
// "falls back to mapping only the caller"). There a chown to any other id can
// never succeed, so files are given to root instead ("squashed", as Docker's
// rootless fallback and `tar --no-same-owner` do) and the caller warns once,
// with the fix; with a range, an id beyond it is still an error.
import { lchownSync } from "node:fs";
import { errnoCode, LayerError } from "../errors.ts";
import { mapsOnlyOneId } from "../util/userns.ts";

/** What to tell the user (once) when files had to be given to root. */
export const SQUASHED_OWNERS_WARNING =
  "files the image gives to other users or groups belong to root here: kiln's user namespace maps only your own uid, " +
  "because your user has no sub-id range (/etc/subuid, /etc/subgid) or newuidmap/newgidmap is missing " +
  "(a RUN that chowns to another id fails the same way). " +
  "Fix: sudo usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER; sudo apt install uidmap";

let squashed = 0;

/**
 * Start watching for files given to root in place of an unmappable owner;
 * the returned function, called when the work is done, tells `onWarning`
 * (once) if any were.
 */
export function watchSquashedOwners(onWarning?: (message: string) => void): () => void {
  const before = squashed;
  return () => {
    if (squashed > before) onWarning?.(SQUASHED_OWNERS_WARNING);
  };
}

/**
 * lchown `path` to uid:gid, never following a symlink. In a namespace that
 * maps only one id, any other owner becomes 0:0 (counted); elsewhere an
 * unmapped id is a LayerError naming `display()` (the path as the image sees
 * it: made only for that message, not for every entry of a layer).
 */
export function setOwner(path: string, uid: number, gid: number, display: () => string): void {
  if ((uid !== 0 || gid !== 0) && mapsOnlyOneId()) {
    squashed++;
    uid = 0;
    gid = 0;
  }
  try {
    lchownSync(path, uid, gid);
  } catch (err) {
    if (errnoCode(err) !== "EINVAL") throw err;
    throw new LayerError("E_LAYER", `cannot give ${display()} owner ${uid}:${gid}: that id is not mapped in this user namespace`, {
      hint: "Give your user a subordinate id range of 65536 ids in /etc/subuid and /etc/subgid (usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER), or use ids below 65536.",
      cause: err,
    });
  }
}
