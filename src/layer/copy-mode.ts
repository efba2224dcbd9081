// --chmod for COPY/ADD (BuildKit's flag, which kiln also takes): the mode
// each copied entry gets, from an octal mode or chmod(1) symbolic clauses.

/**
 * --chmod, parsed by the build: an octal mode, or chmod(1) symbolic clauses
 * (`u+x,g-w,o=`, `a+X`) applied to each entry's own mode.
 */
export type ModeSpec =
  | { octal: number }
  | { clauses: { who: number; op: "+" | "-" | "="; perm: number; dirExec: boolean }[] };

/** The mode an entry gets under --chmod. `X` adds execute for directories and already-executable files. */
export function applyModeSpec(spec: ModeSpec, perm: number, isDirectory: boolean): number {
  if ("octal" in spec) return spec.octal;
  let mode = perm;
  for (const c of spec.clauses) {
    let bits = c.perm;
    if (c.dirExec && (isDirectory || (mode & 0o111) !== 0)) bits |= 0o111;
    bits &= c.who;
    if (c.op === "+") mode |= bits;
    else if (c.op === "-") mode &= ~bits;
    else mode = (mode & ~c.who) | bits;
  }
  return mode & 0o7777;
}
