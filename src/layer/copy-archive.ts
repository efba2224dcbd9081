// ADD's side of layer/copy.ts: recognising a local archive and unpacking it
// into the container root with Docker's rules (an existing directory is
// merged, the archive's owners and modes are kept, every entry is resolved
// inside the destination), reusing the layer codec's hostile-tar reader.
import { chmodSync, linkSync, lutimesSync, mkdirSync, symlinkSync } from "node:fs";
import { chown, clear, isDir, lexicalClean, mkdirAllNew } from "./copy.ts";
import { decompressStream } from "./decompress.ts";
import { watchSquashedOwners } from "./owner.ts";
import { normaliseEntryName, resolveInRoot } from "./scoped-path.ts";
import { TarReader } from "./tar-reader.ts";
import { WHITEOUT_PREFIX } from "./whiteout.ts";

/**
 * Is this file an archive ADD unpacks (plain tar, or gzip/bzip2/xz/zstd of a
 * tar)? Like Docker's isArchivePath: the first header must parse, with a valid
 * checksum.
 */
export async function isArchiveFile(path: string): Promise<boolean> {
  const reader = new TarReader(decompressStream(Bun.file(path).stream()));
  try {
    return (await reader.next()) !== undefined;
  } catch {
    return false;
  } finally {
    await reader.cancel().catch(() => {});
  }
}

/**
 * ADD's extraction of a local archive into `dest` (Docker's UntarPath into a
 * chroot at dest): entries resolved inside dest, owners and modes from the
 * archive, an existing directory merged (the archive's "." entry never
 * changes dest itself), anything else at an entry's path replaced. Also
 * unpacks a tar build context (`preserveOwnership: false`).
 */
export async function extractArchive(
  root: string,
  archivePath: string,
  dest: string,
  onWarning?: (msg: string) => void,
  opts: { preserveOwnership?: boolean } = {},
): Promise<void> {
  const destDir = resolveInRoot(root, lexicalClean(dest));
  mkdirAllNew(root, destDir, { uid: 0, gid: 0 });
  const reportSquashed = watchSquashedOwners(onWarning);
  const reader = new TarReader(decompressStream(Bun.file(archivePath).stream()));
  const dirs: [string, number, number][] = [];
  try {
    for (let e = await reader.next(); e; e = await reader.next()) {
      const rel = normaliseEntryName(e.name);
      if (rel === "") continue;
      const slash = rel.lastIndexOf("/");
      const base = rel.slice(slash + 1);
      if (base.startsWith(WHITEOUT_PREFIX)) {
        onWarning?.(`ADD ${archivePath}: skipped ${e.name} (a whiteout name, not a file kiln can put in a layer)`);
        continue;
      }
      const parent = resolveInRoot(destDir, slash === -1 ? "" : rel.slice(0, slash));
      mkdirAllNew(destDir, parent, { uid: 0, gid: 0 });
      const path = `${parent}/${base}`;
      clear(path, e.type === "dir");
      switch (e.type) {
        case "dir":
          if (!isDir(path)) mkdirSync(path, { mode: 0o700 });
          break;
        case "file":
          await reader.writeBodyToNewFile(path);
          break;
        case "symlink":
          symlinkSync(e.linkname ?? "", path);
          break;
        case "link": {
          const target = resolveInRoot(destDir, normaliseEntryName(e.linkname ?? ""));
          linkSync(target, path);
          continue;
        }
        default:
          onWarning?.(`ADD ${archivePath}: skipped ${e.name} (${e.type} nodes are not extracted)`);
          continue;
      }
      if (opts.preserveOwnership !== false) chown(path, { uid: e.uid, gid: e.gid });
      if (e.type === "symlink") lutimesSync(path, e.mtime, e.mtime);
      else if (e.type === "dir") dirs.push([path, e.mode & 0o7777, e.mtime]);
      else {
        chmodSync(path, e.mode & 0o7777);
        lutimesSync(path, e.mtime, e.mtime);
      }
    }
    await reader.finish();
  } catch (err) {
    await reader.cancel(err).catch(() => {});
    throw err;
  }
  for (const [path, mode, mtime] of dirs.reverse()) {
    chmodSync(path, mode);
    lutimesSync(path, mtime, mtime);
  }
  reportSquashed();
}
