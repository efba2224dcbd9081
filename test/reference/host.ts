// Host state shared by the reference builders: pid locks on the data roots
// kept between runs (two daemons on one data root corrupt each other, so a
// second process takes a temp root instead of waiting), processes to wait
// for, and mounts to undo.
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { join } from "node:path";
import { capture } from "../../src/util/spawn.ts";

/** Is process `pid` alive? */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Take `dir`/lock for this process unless a live process holds it (a lock
 * left by a dead process is taken over). Returns a release function, or
 * undefined when the dir is busy.
 */
export function tryLock(dir: string): (() => void) | undefined {
  mkdirSync(dir, { recursive: true });
  const lock = join(dir, "lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, "wx");
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch {
      let holder = 0;
      try {
        holder = Number(readFileSync(lock, "utf8").trim());
      } catch {
        continue; // released between our open and read
      }
      if (holder > 0 && alive(holder)) return undefined;
      rmSync(lock, { force: true });
    }
  }
  return undefined;
}

/** Mount points under any of `dirs`, deepest first (the order to unmount them in). */
export function mountsUnder(dirs: string[]): string[] {
  const points = readFileSync("/proc/mounts", "utf8")
    .split("\n")
    .map((l) => l.split(" ")[1]?.replace(/\\040/g, " "))
    .filter((p): p is string => p !== undefined && dirs.some((d) => p === d || p.startsWith(`${d}/`)));
  return [...new Set(points)].sort((a, b) => b.length - a.length);
}

/** Unmount everything under `dirs`, deepest first (lazily if busy). */
export async function unmountAll(dirs: string[]): Promise<void> {
  // dockerd unmounts its overlays on a clean stop, but leaves the nsfs bind of
  // its default network namespace (exec-root/netns/default) behind.
  for (let round = 0; round < 3; round++) {
    const points = mountsUnder(dirs);
    if (points.length === 0) return;
    for (const p of points) {
      const r = await capture(["umount", p]);
      if (r.exitCode !== 0) await capture(["umount", "-l", p]);
    }
  }
}

/** Wait up to `ms` for process `pid` to exit; true if it did. */
export async function waitExit(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await Bun.sleep(100);
  }
  return !alive(pid);
}
