// A COPY that re-runs because a few of its sources changed takes the files
// that did not change from the snapshot the same COPY made last time, as hard
// links, instead of writing them again: on this ext4, writing 20,000 small
// files costs 2-9 s (new inodes and blocks), linking them 0.8 s.
//
// Why sharing inodes between two snapshot dirs is safe: snapshots are
// immutable. They are only ever overlay LOWER dirs (a container that changes
// a file copies it up into its own upper dir; nothing writes into a lower
// dir), a layer is applied into a fresh dir and a step's upper dir is renamed
// into place, and prune removes whole snapshot dirs (unlinking one name of a
// shared inode leaves the other). The copy itself never writes to a file it
// linked: the link replaces copyEntry and finish() for that entry, and a later
// source for the same path unlinks it first (clear) and makes a new file.
//
// Why the result is the same layer as a full copy: a file is linked only when
// (1) the build says its source is unchanged since that snapshot was made —
// same context path, same content hash (Docker's per-file hash: content,
// mode, size, owner; build/step-copy-reuse.ts), (2) the snapshot's file has
// exactly the mode, owner and mtime this copy would give it, (3) it is a
// regular file and no other entry of this copy links the same inode (so two
// names the copy makes separate files never share one because the snapshot
// had them hard-linked). Anything else is copied as before. Names that ARE
// one inode in the source (copy.ts keeps such hard links) are handled before
// this: the first is linked here or copied, the others are linked to it, so
// the group shares one inode either way, as a full copy would make it.
import { linkSync, lstatSync } from "node:fs";
import { errnoCode } from "../errors.ts";

/** Where unchanged sources of this copy can be taken from (all host paths). */
export interface CopyReuse {
  /** The snapshot dir the same COPY made last time (its root is the container root). */
  snapshot: string;
  /** Sources under this dir are context files the build compared… */
  contextDir: string;
  /** …and these are the ones that changed or are new. */
  changed: string[];
}

/** What finish() leaves on a regular file: mode bits, owner, mtime in whole seconds. */
export interface FileOutcome {
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
}

/** Per reuse (one per copy op): the changed paths as a set, and the inodes already linked (never one twice). */
const states = new WeakMap<CopyReuse, { changed: Set<string>; linked: Set<string> }>();

/**
 * Make `dst` (at `rel` below the container root) a hard link to the same file
 * in the previous snapshot when `src` is an unchanged context file and that
 * file is exactly what copying `src` would produce; false when it is not
 * (then copy as usual).
 */
export function linkUnchanged(reuse: CopyReuse, src: string, rel: string, dst: string, want: FileOutcome): boolean {
  if (!src.startsWith(`${reuse.contextDir}/`)) return false;
  let state = states.get(reuse);
  if (!state) states.set(reuse, (state = { changed: new Set(reuse.changed), linked: new Set() }));
  if (state.changed.has(src)) return false;
  const candidate = `${reuse.snapshot}${rel}`;
  const st = lstatSync(candidate, { throwIfNoEntry: false, bigint: true });
  if (!st?.isFile()) return false;
  if (Number(st.mode & 0o7777n) !== want.mode || Number(st.uid) !== want.uid || Number(st.gid) !== want.gid) return false;
  if (st.mtimeNs !== BigInt(want.mtime) * 1_000_000_000n) return false;
  const inode = `${st.dev}:${st.ino}`;
  if (state.linked.has(inode)) return false;
  try {
    linkSync(candidate, dst);
  } catch (err) {
    // EXDEV (not the same filesystem), EMLINK (link count limit), …: copy instead.
    if (errnoCode(err)) return false;
    throw err;
  }
  state.linked.add(inode);
  return true;
}
