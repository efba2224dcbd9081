// `-v HOST:CTR[:ro]` bind mounts, in two halves around pivot_root: the host
// side is cloned while host paths still resolve on the host, the clone is
// attached after pivot_root so that the target resolves inside the container
// (an image's absolute symlink then points inside the image, never at the host).
import type { Sys } from "./sys.ts";

export interface ClonedMount {
  fd: number;
  target: string;
  isDir: boolean;
}

/** open_tree(CLONE) of every source, made read-only where asked. */
export function cloneUserMounts(sys: Sys, mounts: { source: string; target: string; readonly: boolean }[]): ClonedMount[] {
  return mounts.map((m) => ({ fd: sys.cloneMount(m.source, m.readonly), target: m.target, isDir: sys.isDirectory(m.source) }));
}

/**
 * Attach the clones at their targets. Targets are normally prepared in the
 * init layer by the parent; one that is missing (its path crosses a symlink
 * in the image) is created here, and the paths created are returned, deepest
 * last, so the parent can remove them from the upper dir afterwards.
 */
export function attachUserMounts(sys: Sys, mounts: ClonedMount[]): string[] {
  const created: string[] = [];
  for (const m of mounts) {
    if (!sys.exists(m.target)) {
      const parts = m.target.split("/").filter(Boolean);
      for (let i = 1; i <= parts.length; i++) {
        const p = `/${parts.slice(0, i).join("/")}`;
        if (sys.exists(p)) continue;
        if (i < parts.length || m.isDir) sys.mkdir(p, 0o755);
        else sys.writeFile(p, "", 0o644);
        // Report where it really is: an earlier component may be a symlink.
        created.push(sys.realpath(p));
      }
    }
    sys.attachMount(m.fd, m.target);
  }
  return created;
}
