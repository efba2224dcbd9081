import { writeSync } from "node:fs";

// The one loop that writes a whole buffer to a file descriptor: stdout
// (cli/output.ts printOut), a container's echoed output and log
// (sandbox/container-log.ts), archives and atomic files. writeSync may write
// less than asked (pipes), a non-blocking pipe that is full says EAGAIN, and a
// pipe whose reader has gone says EPIPE, which callers treat as "stop
// writing", not as a failure. (util/ imports no kiln module, so the errno is
// read here rather than through errors.ts errnoCode.)

/** Write all of `bytes` to `fd`, waiting out a full non-blocking pipe; false once the reader is gone (EPIPE). */
export function writeAll(fd: number, bytes: Uint8Array): boolean {
  let off = 0;
  while (off < bytes.length) {
    try {
      off += writeSync(fd, bytes, off, bytes.length - off);
    } catch (err) {
      const code = typeof err === "object" && err !== null && "code" in err ? err.code : undefined;
      if (code === "EPIPE") return false;
      if (code !== "EAGAIN") throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // the pipe is full: let its reader catch up
    }
  }
  return true;
}
