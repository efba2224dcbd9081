import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/**
 * Snapshot dirs that some overlay mount on this host uses as a layer, in any
 * mount namespace (a running container has its own): prune must not delete
 * them, even when their image is gone. Each mount namespace's mountinfo is
 * read once; processes we may not inspect (other users') are skipped, which
 * is fine: their containers cannot use this store's snapshots unless they run
 * as us (or, for rootless kiln, in our user namespace).
 */
export function snapshotsInUse(snapshotsDir: string, procRoot = "/proc"): Set<string> {
  const inUse = new Set<string>();
  const seen = new Set<string>();
  const needle = `${snapshotsDir.replace(/\/+$/, "")}/`;
  // mountinfo escapes space, tab, newline and backslash as octal (\040); snapshot
  // paths are compared in that escaped form.
  const escaped = needle.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, "0")}`);
  const hexAfter = new RegExp(`${escaped.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}([a-f0-9]{64})`, "g");
  let pids: string[] = [];
  try {
    pids = readdirSync(procRoot).filter((n) => /^\d+$/.test(n));
  } catch {
    return inUse;
  }
  for (const pid of pids) {
    let ns: string;
    let text: string;
    try {
      ns = readlinkSync(join(procRoot, pid, "ns/mnt"));
      if (seen.has(ns)) continue;
      text = readFileSync(join(procRoot, pid, "mountinfo"), "utf8");
    } catch {
      continue; // gone, or not ours to read
    }
    seen.add(ns);
    for (const line of text.split("\n")) {
      // "… - overlay overlay rw,lowerdir=…": the fs type follows the " - " separator.
      if (!/ - overlay /.test(line)) continue;
      for (const m of line.matchAll(hexAfter)) inUse.add(m[1]!);
    }
  }
  return inUse;
}
