import type * as Os from "node:os";

// One shape for every failed libc call kiln makes through bun:ffi (layer/'s
// xattrs and mknod, sandbox/'s mounts and credentials): the errno as Node's
// fs errors carry it, so errnoCode() and `err.code === "EPERM"` read both alike.

let names: Map<number, string> | undefined;
/** errno → name, built on first use (node:os is not loaded at start-up: scripts/lint.ts SLOW_TO_LOAD). */
function errnoName(errno: number): string | undefined {
  names ??= new Map(Object.entries((require("node:os") as typeof Os).constants.errno).map(([name, n]) => [n, name]));
  return names.get(errno);
}

/** A failed system call, shaped like Node's fs errors (`code` = "EPERM", …) so errnoCode() reads it. */
export class SysError extends Error {
  readonly code: string;
  readonly errno: number;
  readonly syscall: string;
  readonly path: string;

  constructor(syscall: string, errno: number, path = "") {
    const code = errnoName(errno) ?? `E${errno}`;
    super(`${syscall}${path ? ` ${path}` : ""}: ${code}`);
    this.code = code;
    this.errno = errno;
    this.syscall = syscall;
    this.path = path;
  }
}
