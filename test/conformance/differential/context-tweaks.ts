// Build-context contents that upstream's Go test (containers/buildah,
// tests/conformance/conformance_test.go) makes in code with a
// tweakContextDir callback: files with other owners, setuid/setgid/sticky
// bits, a tar archive with such entries. Written into the temp copy of the
// context, as our own code, for the inline cases that use them.
import { dlopen, FFIType } from "bun:ffi";
import { chownSync, chmodSync, linkSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pack } from "tar-stream";

/** upstream's testDate (time.Unix(1485449953, 0)); timestamps are not compared, but the archive bytes stay fixed. */
const TEST_DATE = new Date(1485449953 * 1000);

function file(dir: string, name: string, mode: number, owner: [number, number] = [0, 0], content = "test content"): void {
  writeFileSync(join(dir, name), content);
  chownSync(join(dir, name), ...owner);
  chmodSync(join(dir, name), mode);
}

/** subdir/ with two 0640 files, one owned by root and one by 99:99 (copy-permissions*). */
export function ownedFiles(dir: string): void {
  mkdirSync(join(dir, "subdir"), { mode: 0o755 });
  file(join(dir, "subdir"), "would-be-owned-by-root", 0o640);
  file(join(dir, "subdir"), "would-be-owned-by-99", 0o640, [99, 99]);
}

/** Files with the setuid, setgid and sticky bits, and one with none (setuid-file-in-context). */
export function setuidFiles(dir: string): void {
  file(dir, "should-be-setuid-file", 0o4755);
  file(dir, "should-be-setgid-file", 0o2755);
  file(dir, "should-be-sticky-file", 0o1755);
  file(dir, "should-not-be-setuid-setgid-sticky-file", 0o640);
}

/** archive.tar with setuid/setgid/sticky files and dirs (setuid-file-in-archive). */
export async function setuidArchive(dir: string): Promise<void> {
  const p = pack();
  const done = Bun.write(join(dir, "archive.tar"), new Response(p as unknown as ReadableStream));
  const entries: [string, "file" | "directory", number][] = [
    ["setuid-file", "file", 0o4755], ["setgid-file", "file", 0o2755], ["sticky-file", "file", 0o1755],
    ["setuid-dir", "directory", 0o4755], ["setgid-dir", "directory", 0o2755], ["sticky-dir", "directory", 0o1755],
  ];
  for (const [name, type, mode] of entries) {
    await new Promise<void>((res, rej) =>
      p.entry({ name, type, mode, uid: 0, gid: 0, mtime: TEST_DATE }, type === "file" ? "whatever" : "", (err) => (err ? rej(err) : res())),
    );
  }
  p.finalize();
  await done;
}

/** archive.tar with one root-owned and one 99-owned file, and the same two files in archive/ (add-permissions). */
export async function ownedArchive(dir: string): Promise<void> {
  mkdirSync(join(dir, "archive"), { mode: 0o755 });
  file(join(dir, "archive"), "should-be-owned-by-root", 0o640);
  file(join(dir, "archive"), "should-be-owned-by-99", 0o640, [99, 99]);
  const p = pack();
  const done = Bun.write(join(dir, "archive.tar"), new Response(p as unknown as ReadableStream));
  for (const [name, owner] of [["archive/should-be-owned-by-root", 0], ["archive/should-be-owned-by-99", 99]] as const) {
    await new Promise<void>((res, rej) =>
      p.entry({ name, type: "file", mode: 0o640, uid: owner, gid: owner, mtime: TEST_DATE }, "test content", (err) => (err ? rej(err) : res())),
    );
  }
  p.finalize();
  await done;
}

const cstr = (s: string) => Buffer.from(`${s}\0`);

/** lsetxattr(2): neither Node nor Bun has it. */
function setXattr(path: string, name: string, value: string): void {
  const libc = dlopen("libc.so.6", { lsetxattr: { args: [FFIType.ptr, FFIType.ptr, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 } });
  try {
    const v = Buffer.from(value);
    if (libc.symbols.lsetxattr(cstr(path), cstr(name), v, v.length, 0) !== 0) throw new Error(`lsetxattr ${name} on ${path} failed`);
  } finally {
    libc.close();
  }
}

/** xattrs-file with user.a=test, 0640 (xattrs-file-in-context, xattrs-file-in-other-stage). */
export function xattrFile(dir: string): void {
  file(dir, "xattrs-file", 0o640);
  setXattr(join(dir, "xattrs-file"), "user.a", "test");
}

/** archive.tar with one file carrying user.a=test as a PAX SCHILY.xattr record (xattrs-file-in-archive). */
export async function xattrArchive(dir: string): Promise<void> {
  const p = pack();
  const done = Bun.write(join(dir, "archive.tar"), new Response(p as unknown as ReadableStream));
  await new Promise<void>((res, rej) =>
    p.entry({ name: "xattr-file", type: "file", mode: 0o640, uid: 0, gid: 0, mtime: TEST_DATE, pax: { "SCHILY.xattr.user.a": "test" } }, "whatever", (err) => (err ? rej(err) : res())),
  );
  p.finalize();
  await done;
}

/**
 * Hard links in the context (kiln's own cases): hl/a, hl/b, hl/sub/c, top and
 * other/x are one inode; other/y and other/z another. The docker CLI sends
 * them as tar hard links, and what a COPY keeps of them depends on its sources.
 */
export function hardlinkedFiles(dir: string): void {
  mkdirSync(join(dir, "hl/sub"), { recursive: true, mode: 0o755 });
  mkdirSync(join(dir, "other"), { mode: 0o755 });
  file(join(dir, "hl"), "a", 0o644, [0, 0], "one inode\n");
  for (const name of ["hl/b", "hl/sub/c", "top", "other/x"]) linkSync(join(dir, "hl/a"), join(dir, name));
  file(join(dir, "other"), "y", 0o600, [0, 0], "another inode\n");
  linkSync(join(dir, "other/y"), join(dir, "other/z"));
}
