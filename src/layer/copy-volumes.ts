// RUN with VOLUMEs, Docker's way, applied to a step's upper dir (see
// applyVolumeRules): the image never gets what the command wrote under a
// volume, and a volume the image lacked gets its mount point directory.
import { chmodSync, lchownSync, lstatSync, lutimesSync, mkdirSync, readdirSync, rmSync } from "node:fs";
import { lexicalClean } from "./copy.ts";
import { isOpaqueDir, lowerKindAt, type XattrNamespace } from "./whiteout.ts";

/** Which of `paths` (absolute, in the image) the lower dirs do not have. */
export function missingInLowers(lowerDirs: string[], paths: string[], ns: XattrNamespace): string[] {
  return paths.filter((p) => lowerKindAt(lexicalClean(p).slice(1), lowerDirs, ns) === undefined);
}

/** The entry lower dirs show at `rel` (top-most visible one), if it is a directory. */
function lowerDirStat(rel: string, lowerDirs: string[], ns: XattrNamespace) {
  if (lowerKindAt(rel, lowerDirs, ns) !== "dir") return undefined;
  for (const l of lowerDirs) {
    const st = lstatSync(`${l}/${rel}`, { throwIfNoEntry: false });
    if (st) return st;
  }
  return undefined;
}

/**
 * Docker runs a RUN with each VOLUME of the image mounted as an anonymous
 * volume: what the command writes there never reaches the image, and the
 * mount creates the volume's directory (0755, root) when the image lacks it.
 * Applied to the step's upper dir after the command: changes under volume
 * paths are dropped, missing mount points created, and directories that were
 * only copied up on the way to a dropped change are removed again.
 */
export function applyVolumeRules(upper: string, lowerDirs: string[], volumes: string[], ns: XattrNamespace): void {
  for (const v of [...volumes].sort()) {
    const rel = lexicalClean(v).slice(1);
    if (rel === "") continue;
    const ancestors: string[] = [];
    for (let p = rel.slice(0, Math.max(rel.lastIndexOf("/"), 0)); p !== ""; p = p.slice(0, Math.max(p.lastIndexOf("/"), 0))) ancestors.push(p);
    // Their stats before the removal below touches their mtimes.
    const before = new Map(ancestors.map((p) => [p, lstatSync(`${upper}/${p}`, { throwIfNoEntry: false })]));
    rmSync(`${upper}/${rel}`, { recursive: true, force: true });
    if (lowerKindAt(rel, lowerDirs, ns) === undefined) {
      const parts = rel.split("/");
      for (let i = 1; i <= parts.length; i++) {
        const p = parts.slice(0, i).join("/");
        if (lstatSync(`${upper}/${p}`, { throwIfNoEntry: false })) continue;
        const low = lowerDirStat(p, lowerDirs, ns);
        mkdirSync(`${upper}/${p}`);
        chmodSync(`${upper}/${p}`, low ? low.mode & 0o7777 : 0o755);
        lchownSync(`${upper}/${p}`, low?.uid ?? 0, low?.gid ?? 0);
        if (low) lutimesSync(`${upper}/${p}`, low.atime, low.mtime);
      }
      continue;
    }
    // Prune ancestors left empty that are unchanged copies of the lower directory.
    for (const p of ancestors) {
      const st = before.get(p);
      const low = lowerDirStat(p, lowerDirs, ns);
      if (!st?.isDirectory() || !low || readdirSync(`${upper}/${p}`).length > 0 || isOpaqueDir(`${upper}/${p}`, ns)) break;
      if (st.mode !== low.mode || st.uid !== low.uid || st.gid !== low.gid || st.mtimeMs !== low.mtimeMs) break;
      rmSync(`${upper}/${p}`, { recursive: true });
    }
  }
}
