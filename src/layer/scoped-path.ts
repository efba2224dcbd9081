// Paths inside a layer root. Every path a tar entry names is resolved as if
// the target dir were "/": `..` stops at the root and symlinks are followed
// lexically inside it (the rule of cyphar/filepath-securejoin, which umoci and
// containerd apply before every write), so no entry can reach outside.
import { readlinkSync } from "node:fs";
import { resolve } from "node:path";
import { LayerError } from "../errors.ts";
import { lstatOrUndefined } from "../util/lstat.ts";

/** Symlinks followed while resolving one path before giving up (SecureJoin's limit). */
export const MAX_SYMLINKS = 255;

/**
 * A tar entry name as a clean root-relative path: no leading "/" or "./", no
 * "." components, ".." applied lexically. "" is the root itself. A name whose
 * ".." would climb above the root is hostile and refused rather than clamped:
 * no honest layer carries one (moby's archive refuses them too).
 */
export function normaliseEntryName(name: string): string {
  if (name.includes("\0")) throw unsafe(name, "contains a NUL byte");
  const out: string[] = [];
  for (const part of name.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length === 0) throw unsafe(name, "climbs above the layer root with '..'");
      out.pop();
    } else out.push(part);
  }
  return out.join("/");
}

function unsafe(name: string, why: string): LayerError {
  return new LayerError("E_LAYER_UNSAFE_PATH", `refusing tar entry "${name}": it ${why}`, {
    hint: "The layer is malformed or hostile; nothing outside the target directory was written.",
  });
}

/**
 * Resolve `path` inside `root` as if root were "/": walk it component by
 * component; a symlink is replaced by its target (an absolute target restarts
 * at root), ".." never climbs above root, and components that do not exist yet
 * are kept as they are. The result is always `root` or below it. More than
 * MAX_SYMLINKS links on the way is an error (a loop, or a hostile chain).
 */
export function resolveInRoot(root: string, path: string): string {
  const base = resolve(root);
  // Components still to walk, last element first, so a link target can be pushed in front.
  const todo = path.split("/").reverse();
  const done: string[] = [];
  let links = 0;
  while (todo.length > 0) {
    const part = todo.pop()!;
    if (part === "" || part === ".") continue;
    if (part === "..") {
      done.pop();
      continue;
    }
    done.push(part);
    const here = `${base}/${done.join("/")}`;
    const st = lstatOrUndefined(here);
    if (!st?.isSymbolicLink()) continue;
    if (++links > MAX_SYMLINKS) {
      throw new LayerError("E_LAYER_UNSAFE_PATH", `too many levels of symbolic links resolving "${path}" in ${base}`, {
        hint: "The layer contains a symlink loop or an overlong chain of symlinks.",
      });
    }
    done.pop();
    const target = readlinkSync(here);
    if (target.startsWith("/")) done.length = 0;
    for (const p of target.split("/").reverse()) todo.push(p);
  }
  return done.length === 0 ? base : `${base}/${done.join("/")}`;
}
