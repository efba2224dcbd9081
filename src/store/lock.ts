import { dlopen, FFIType } from "bun:ffi";
import { closeSync, openSync } from "node:fs";
import { StoreError } from "../errors.ts";

// Bun has no flock(2); libc's is one symbol away. flock locks belong to the
// open file description, so the kernel drops them when a process dies (even
// by SIGKILL): a crashed kiln never leaves a stale lock behind.
const LOCK_SH = 1;
const LOCK_EX = 2;
const LOCK_NB = 4;
const LOCK_UN = 8;

let libc: { flock: (fd: number, op: number) => number } | undefined;
function flock(fd: number, op: number): number {
  libc ??= dlopen("libc.so.6", { flock: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 } }).symbols;
  return libc.flock(fd, op);
}

export type LockMode = "shared" | "exclusive";

export interface LockOptions {
  /** Give up with E_STORE_LOCKED after this long (default: wait 10 minutes). */
  timeoutMs?: number;
  /** Called once when the lock is busy and we start waiting. */
  onWait?: () => void;
}

/**
 * An flock(2) on a file. Acquisition never blocks the event loop: it tries
 * LOCK_NB and backs off, because a blocking call would freeze every other
 * task of this process, including one that holds the same lock through
 * another descriptor (two Store instances in one process).
 */
export class FileLock implements Disposable {
  private fd: number | undefined;

  private constructor(
    readonly path: string,
    fd: number,
    public mode: LockMode,
  ) {
    this.fd = fd;
  }

  /** Open (creating) `path` and lock it. */
  static async acquire(path: string, mode: LockMode, opts: LockOptions = {}): Promise<FileLock> {
    const fd = openSync(path, "a+", 0o644);
    const lock = new FileLock(path, fd, mode);
    try {
      await lock.relock(mode, opts);
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    return lock;
  }

  /** Try once, without waiting; undefined when someone else holds it. */
  static tryAcquire(path: string, mode: LockMode): FileLock | undefined {
    const fd = openSync(path, "a+", 0o644);
    if (flock(fd, (mode === "shared" ? LOCK_SH : LOCK_EX) | LOCK_NB) === 0) return new FileLock(path, fd, mode);
    closeSync(fd);
    return undefined;
  }

  /**
   * Change the mode of a held lock (shared ⇄ exclusive). As flock(2) warns,
   * the conversion is not atomic: others may get in between.
   */
  async relock(mode: LockMode, opts: LockOptions = {}): Promise<void> {
    const fd = this.fd;
    if (fd === undefined) throw new StoreError("E_INTERNAL", `lock ${this.path} used after release`);
    const op = (mode === "shared" ? LOCK_SH : LOCK_EX) | LOCK_NB;
    const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
    let delay = 1;
    let warned = false;
    while (flock(fd, op) !== 0) {
      if (Date.now() >= deadline) {
        throw new StoreError("E_STORE_LOCKED", `the store is locked by another kiln process (${this.path})`, {
          hint: "wait for the other kiln command to finish, then try again",
        });
      }
      if (!warned) {
        warned = true;
        opts.onWait?.();
      }
      await Bun.sleep(delay);
      delay = Math.min(delay * 2, 100);
    }
    this.mode = mode;
  }

  release(): void {
    if (this.fd === undefined) return;
    flock(this.fd, LOCK_UN);
    closeSync(this.fd);
    this.fd = undefined;
  }

  [Symbol.dispose](): void {
    this.release();
  }
}
