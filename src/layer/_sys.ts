// The few libc calls the layer codec needs and Node does not offer: extended
// attributes (l*xattr, never following symlinks) and mknod (whiteouts, device
// nodes, fifos). STYLE.md makes sandbox/ffi.ts the one dlopen of libc, but the
// import DAG forbids layer/ → sandbox/, and the codec must also run outside any
// container (store extraction, tests); so layer/ keeps this minimal private
// binding of its own. libc is opened on first use, never at import time.
import { dlopen, FFIType, read, type Pointer } from "bun:ffi";
import { closeSync, constants, openSync } from "node:fs";
import { SysError } from "../util/sys-error.ts";

type Libc = ReturnType<typeof openLibc>;
let libc: Libc | undefined;

function openLibc() {
  // Paths and names go in as NUL-terminated Buffers through `ptr` arguments: Bun
  // passes a TypedArray's address and keeps it alive for the duration of the call.
  const { ptr: p, u64, i64, i32, u32 } = FFIType;
  return dlopen("libc.so.6", {
    lgetxattr: { args: [p, p, p, u64], returns: i64 },
    llistxattr: { args: [p, p, u64], returns: i64 },
    lsetxattr: { args: [p, p, p, u64, i32], returns: i32 },
    lremovexattr: { args: [p, p], returns: i32 },
    mknod: { args: [p, u32, u64], returns: i32 },
    ioctl: { args: [i32, u64, p], returns: i32 },
    __errno_location: { args: [], returns: p },
  }).symbols;
}

function sys(): Libc {
  libc ??= openLibc();
  return libc;
}

/** The failure of the libc call that just returned -1 (errno read before any other libc call). */
function lastError(syscall: string, path: string): SysError {
  return new SysError(syscall, read.i32(sys().__errno_location() as Pointer, 0), path);
}

function fail(syscall: string, path: string): never {
  throw lastError(syscall, path);
}

const cstr = (s: string): Buffer => Buffer.from(`${s}\0`);
// XATTR_SIZE_MAX and XATTR_LIST_MAX are both 64 KiB: one scratch buffer serves every call.
const scratch = new Uint8Array(65536);

/** Names of the extended attributes of `path` (not following a symlink); [] where unsupported. */
export function listXattrs(path: string): string[] {
  const n = Number(sys().llistxattr(cstr(path), scratch, BigInt(scratch.length)));
  if (n < 0) {
    const err = lastError("llistxattr", path);
    if (err.code === "ENOTSUP" || err.code === "EOPNOTSUPP") return [];
    throw err;
  }
  if (n === 0) return [];
  return Buffer.from(scratch.subarray(0, n - 1)).toString("utf8").split("\0");
}

/** Value of one extended attribute, or undefined when it is not set (ENODATA) or unsupported. */
export function getXattr(path: string, name: string): Uint8Array | undefined {
  const n = Number(sys().lgetxattr(cstr(path), cstr(name), scratch, BigInt(scratch.length)));
  if (n < 0) {
    const err = lastError("lgetxattr", path);
    if (err.code === "ENODATA" || err.code === "ENOTSUP" || err.code === "EOPNOTSUPP") return undefined;
    throw err;
  }
  return scratch.slice(0, n);
}

/** Set an extended attribute on `path` itself (a symlink is not followed). */
export function setXattr(path: string, name: string, value: Uint8Array): void {
  // An empty TypedArray has no address to pass: point at the scratch buffer, length 0.
  const buf = value.length > 0 ? value : scratch;
  if (sys().lsetxattr(cstr(path), cstr(name), buf, BigInt(value.length), 0) !== 0) fail("lsetxattr", path);
}

/** Remove an extended attribute; absent is fine. */
export function removeXattr(path: string, name: string): void {
  if (sys().lremovexattr(cstr(path), cstr(name)) === 0) return;
  const err = lastError("lremovexattr", path);
  if (err.code !== "ENODATA") throw err;
}

export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

/** glibc's makedev(): the 64-bit dev_t for a major/minor pair. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major);
  const mi = BigInt(minor);
  return ((ma & 0xfffn) << 8n) | ((ma & ~0xfffn) << 32n) | (mi & 0xffn) | ((mi & ~0xffn) << 12n);
}

/** Major and minor numbers of a dev_t as Node's Stats.rdev reports it. */
export function splitDev(dev: number): { major: number; minor: number } {
  const d = BigInt(dev);
  const major = Number(((d >> 8n) & 0xfffn) | ((d >> 32n) & ~0xfffn));
  const minor = Number((d & 0xffn) | ((d >> 12n) & ~0xffn));
  return { major, minor };
}

/** mknod(2): `mode` carries the file type (S_IFCHR, S_IFBLK, S_IFIFO) and permission bits. */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  if (sys().mknod(cstr(path), mode, makedev(major, minor)) !== 0) fail("mknod", path);
}

const FS_IOC_GETFLAGS = 0x80086601n;
const FS_IOC_SETFLAGS = 0x40086602n;
const FS_TOPDIR_FL = 0x00020000;

/**
 * `chattr +T dir` (ext2/3/4's "top of directory hierarchies"): directories
 * made in `dir` are each placed by the Orlov allocator in a block group of
 * their own choosing, as /home's are, instead of next to `dir`. For kiln's
 * temp area, where every container's upper dir is a new hierarchy: ext4
 * without a journal skips inodes freed in the last seconds (minutes, while
 * their inode table is unwritten) when it allocates, one by one, so 20,000
 * files created next to a tree another program just deleted took 13-14 s
 * instead of 1.2-1.3 s here. Best effort: false where the filesystem has no
 * such flag (xfs, btrfs, tmpfs).
 */
export function setTopDirFlag(dir: string): boolean {
  const fd = openSync(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    // The kernel reads and writes an int through these two (whatever their _IOR(…, long) says).
    const flags = new Int32Array(1);
    if (sys().ioctl(fd, FS_IOC_GETFLAGS, flags) !== 0) return false;
    if (flags[0]! & FS_TOPDIR_FL) return true;
    flags[0]! |= FS_TOPDIR_FL;
    return sys().ioctl(fd, FS_IOC_SETFLAGS, flags) === 0;
  } finally {
    closeSync(fd);
  }
}
