/**
 * COPY/ADD --chmod and --chown values. --chmod is octal (`755`, `0644`) or
 * chmod(1) symbolic (`u+x,g-w`, `a=rX`), as BuildKit accepts; --chown is
 * `user[:group]` with names looked up in the image's /etc/passwd and
 * /etc/group and numbers taken as they are. Like Docker's classic builder
 * (parseChownFlag), a user without a group uses the same word as the group.
 */
import { readFileSync } from "node:fs";
import { BuildError } from "../errors.ts";
import { resolveInRoot, type CopyIdentity, type ModeSpec } from "../layer/index.ts";

const WHO: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o0007, a: 0o7777 };
const PERM: Record<string, number> = { r: 0o444, w: 0o222, x: 0o111, s: 0o6000, t: 0o1000 };

/** Parse a --chmod value; throws a BuildError naming the bad value. */
export function parseChmod(spec: string): ModeSpec {
  if (/^[0-7]{1,4}$/.test(spec)) return { octal: Number.parseInt(spec, 8) };
  const clauses: Extract<ModeSpec, { clauses: unknown }>["clauses"] = [];
  for (const part of spec.split(",")) {
    const m = /^([ugoa]*)([-+=])([rwxXst]*)$/.exec(part);
    if (!m) {
      throw new BuildError("E_BUILD", `invalid --chmod value "${spec}"`, {
        hint: "use an octal mode (755) or symbolic clauses like u+x,g-w,o=r",
      });
    }
    const who = m[1] === "" ? WHO.a! : [...m[1]!].reduce((acc, c) => acc | WHO[c]!, 0);
    const perm = [...m[3]!].reduce((acc, c) => acc | (PERM[c] ?? 0), 0);
    clauses.push({ who, op: m[2] as "+" | "-" | "=", perm, dirExec: m[3]!.includes("X") });
  }
  return { clauses };
}

/** Split `user[:group]`; a lone user is its own group (Docker's classic builder). */
export function splitChown(spec: string): { user: string; group: string } {
  const parts = spec.split(":");
  if (parts.length > 2 || parts.some((p) => p === "")) {
    throw new BuildError("E_BUILD", `invalid chown string format: ${spec}`, { hint: "write --chown=USER[:GROUP], names or numbers" });
  }
  return { user: parts[0]!, group: parts[1] ?? parts[0]! };
}

function readIn(root: string, path: string): string | undefined {
  try {
    return readFileSync(resolveInRoot(root, path), "utf8");
  } catch {
    return undefined;
  }
}

/** The id of `name` in a passwd/group style file (name:x:id:…), or undefined. */
export function lookupIdIn(text: string | undefined, name: string): number | undefined {
  for (const line of (text ?? "").split("\n")) {
    const f = line.split(":");
    if (f[0] === name && f[2] !== undefined && /^\d+$/.test(f[2])) return Number(f[2]);
  }
  return undefined;
}

function resolveId(root: string, word: string, file: "/etc/passwd" | "/etc/group"): number {
  if (/^\d+$/.test(word)) return Number(word);
  const id = lookupIdIn(readIn(root, file), word);
  if (id !== undefined) return id;
  const what = file === "/etc/passwd" ? "uid for user" : "gid for group";
  throw new BuildError("E_BUILD", `unable to convert uid/gid chown string to host mapping: can't find ${what} ${word}: no such ${file === "/etc/passwd" ? "user" : "group"}: ${word}`, {
    hint: `add ${word} to the image's ${file} in an earlier step, or use a numeric id`,
  });
}

/** Resolve --chown inside the container root `root` (numbers without lookup). */
export function resolveChown(root: string, spec: string | undefined): CopyIdentity {
  if (!spec) return { uid: 0, gid: 0 };
  const { user, group } = splitChown(spec);
  return { uid: resolveId(root, user, "/etc/passwd"), gid: resolveId(root, group, "/etc/group") };
}
