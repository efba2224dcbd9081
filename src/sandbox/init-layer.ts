// The init layer: a tiny extra lower dir, top-most, holding the mount points
// kiln needs in every container (/proc, /dev, /sys, /etc/hosts,
// /etc/resolv.conf, /etc/hostname, and bind-mount targets). Docker keeps them
// in the same kind of "-init" layer. Because they exist in a lower dir,
// mounting over them never creates anything in the upper dir, which stays a
// pure diff of what the process did.
//
// The init builds it on its scratch tmpfs (cheap file creation, gone with
// the mount namespace). Directories on the way are copies of the image's own (mode, owner, times),
// so that the merged view is unchanged and a later copy-up of, say, /etc by
// the process produces exactly the entry it would have produced without us.
import { chmodSync, chownSync, mkdirSync, utimesSync, writeFileSync, type Stats } from "node:fs";
import { join } from "node:path";
import { lstatOrUndefined } from "../util/lstat.ts";
import type { InitLayerEntry } from "./spec.ts";

export type { InitLayerEntry };

type Found = { type: "missing" } | { type: "dir" | "other"; stat: Stats };

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

/**
 * What each component of `parts` is in the overlay of `lowerDirs` (top-most
 * first): the top-most entry decides, a directory merges with the directories
 * right below it, anything else (file, symlink, whiteout) hides what is below.
 * Opaque markers are not read, so a hidden lower entry may be seen: that only
 * makes the answer more cautious (a hidden symlink means "skip").
 * `seen` keeps each path's answer for the next lookup of the same init layer
 * (/etc is on the way to /etc/hosts, /etc/resolv.conf and /etc/hostname):
 * this runs in every container's init, and a miss in most layers is the rule.
 */
export function lookupInLowers(lowerDirs: string[], parts: string[], seen = new Map<string, { top?: Stats; below: string[] }>()): Found[] {
  const out: Found[] = [];
  let layers = lowerDirs;
  for (let i = 0; i < parts.length; i++) {
    const rel = parts.slice(0, i + 1).join("/");
    let known = seen.get(rel);
    if (!known) {
      known = { below: [] };
      for (const layer of layers) {
        const st = lstatOrUndefined(join(layer, rel));
        if (!st) continue;
        known.top ??= st;
        if (!st.isDirectory() || !known.top.isDirectory()) break;
        known.below.push(layer);
      }
      seen.set(rel, known);
    }
    const { top, below } = known;
    if (top === undefined || isWhiteout(top)) {
      while (out.length < parts.length) out.push({ type: "missing" });
      break;
    }
    out.push({ type: top.isDirectory() ? "dir" : "other", stat: top });
    layers = below;
  }
  return out;
}

function copyOwner(path: string, st: Stats): void {
  try {
    chownSync(path, st.uid, st.gid);
  } catch {
    // An id this user namespace does not map: keep ours (the view is then root-owned, like a fresh dir).
  }
}

/**
 * Create the init layer in `dir` for an image made of `lowerDirs`. Returns
 * the entries that could not be placed (their path crosses an image symlink
 * and shadowing was not allowed); the init creates those itself.
 */
export function buildInitLayer(dir: string, lowerDirs: string[], entries: InitLayerEntry[]): InitLayerEntry[] {
  mkdirSync(dir, { recursive: true });
  const skipped: InitLayerEntry[] = [];
  const times: [string, Stats][] = [];
  const made = new Set<string>();
  const seen = new Map<string, { top?: Stats; below: string[] }>();
  for (const entry of entries) {
    const parts = entry.path.split("/").filter(Boolean);
    const found = lookupInLowers(lowerDirs, parts, seen);
    if (!entry.shadow && found.some((f, i) => f.type === "other" && i < parts.length - 1)) {
      skipped.push(entry);
      continue;
    }
    for (let i = 0; i < parts.length; i++) {
      const path = join(dir, ...parts.slice(0, i + 1));
      if (made.has(path)) continue;
      made.add(path);
      const f = found[i]!;
      const last = i === parts.length - 1;
      if (last && entry.kind === "file") {
        writeFileSync(path, "", { mode: 0o644 });
        continue;
      }
      if (f.type === "dir") {
        mkdirSync(path);
        copyOwner(path, f.stat);
        chmodSync(path, f.stat.mode & 0o7777); // after chown, which clears set-id bits; and free of the umask
        times.push([path, f.stat]);
      } else {
        mkdirSync(path);
        chmodSync(path, 0o755);
      }
    }
  }
  // Times last, deepest first: creating a child changes its parent's mtime.
  for (const [path, st] of times.reverse()) utimesSync(path, st.atime, st.mtime);
  return skipped;
}
