import { closeSync, fsyncSync, openSync, renameSync, unlinkSync } from "node:fs";
import { dirname, basename, join } from "node:path";
import { writeAll } from "./write-all.ts";

/** A temp name beside `path`, unique per process and call, so renames stay on one filesystem. */
export function tempPathFor(path: string): string {
  const rand = Math.random().toString(36).slice(2, 10);
  return join(dirname(path), `.tmp-${basename(path)}-${process.pid}-${rand}`);
}

/** fsync a directory so that a rename inside it survives a crash. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, "r");
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write `data` to `path` atomically: temp file in the same dir, fsync, rename,
 * fsync of the dir. Readers see the old content or the new, never a torn file.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): void {
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, "wx", mode);
  try {
    writeAll(fd, typeof data === "string" ? Buffer.from(data) : data);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  renameSync(tmp, path);
  fsyncDir(dirname(path));
}
