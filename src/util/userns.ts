import { readFileSync } from "node:fs";

/**
 * True when this process runs in the initial user namespace as uid 0 (real
 * root). Inside kiln's rootless user namespace getuid() is 0 as well, but the
 * uid map is not the identity map of the whole id space; there overlay needs
 * `userxattr` and opaque markers live in `user.overlay.*`, not `trusted.overlay.*`.
 */
export function isRealRoot(): boolean {
  if (process.getuid?.() !== 0) return false;
  try {
    const map = readFileSync("/proc/self/uid_map", "utf8").trim().split(/\s+/);
    return map[0] === "0" && map[1] === "0" && map[2] === "4294967295";
  } catch {
    return true;
  }
}

/** The xattr namespace overlayfs uses for its markers in this process's user namespace. */
export function overlayXattrNamespace(): "trusted" | "user" {
  return isRealRoot() ? "trusted" : "user";
}

let singleId: boolean | undefined;

/**
 * True when this process's user namespace maps exactly one uid and one gid
 * (`/proc/self/uid_map` and `gid_map` each one line with count 1): rootless
 * kiln without sub-ids, where the user is root inside and no other id exists,
 * so every file can only belong to 0:0. Read once per process.
 */
export function mapsOnlyOneId(): boolean {
  singleId ??= ["uid_map", "gid_map"].every((f) => {
    try {
      const lines = readFileSync(`/proc/self/${f}`, "utf8").trim().split("\n");
      return lines.length === 1 && lines[0]!.trim().split(/\s+/)[2] === "1";
    } catch {
      return false;
    }
  });
  return singleId;
}
