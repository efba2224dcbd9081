// Overlay upper dir → OCI layer tar (uncompressed; encode.ts compresses). The
// upper dir of a finished step *is* the change, once overlay's private forms
// are translated: whiteouts become `.wh.NAME`, opaque dirs get `.wh..wh..opq`,
// each only when a lower dir has something for it to hide (DESIGN.md, "the
// rules that bite"; BuildKit util/overlay/overlay_linux.go does the same).
// Order is deterministic: depth first, names in byte order, parents before
// children; with sourceDateEpoch every mtime is clamped to it, so one tree
// gives one digest.
import { closeSync, lstatSync, openSync, readdirSync, readlinkSync, readSync, type Stats } from "node:fs";
import { LayerError } from "../errors.ts";
import { getXattr, listXattrs, splitDev } from "./_sys.ts";
import { BLOCK, encodeHeader, paddingFor, type TarHeader } from "./tar-format.ts";
import { isOpaqueDir, isOverlayXattr, lowerKindAt, overlayWhiteoutForm, overlayXattr, WHITEOUT_OPAQUE, WHITEOUT_PREFIX, type XattrNamespace } from "./whiteout.ts";

export interface DiffOptions {
  /** Snapshot dirs below the upper dir, top-most first: they decide which whiteouts are needed. */
  lowerDirs: string[];
  xattrNamespace: XattrNamespace;
  /** Clamp every timestamp to this (seconds since the epoch), for reproducible layers. */
  sourceDateEpoch?: number;
}

/** Output chunk size: big enough that per-chunk costs vanish, small enough to keep memory flat. */
const CHUNK = 512 * 1024;
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Stream the OCI layer tar for `upperDir`. Reading happens as the consumer
 * pulls (one chunk at a time), so memory stays flat whatever the layer size.
 * Throws (through the stream) a LayerError for an upper dir that is not a
 * complete diff (`overlay.redirect`, `overlay.metacopy`).
 */
export function diffUpperDir(upperDir: string, opts: DiffOptions): ReadableStream<Uint8Array> {
  const chunks = generateTar(upperDir, opts);
  return new ReadableStream<Uint8Array>(
    {
      pull(controller) {
        const r = chunks.next();
        if (r.done) controller.close();
        else controller.enqueue(r.value);
      },
      cancel() {
        chunks.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

/** Accumulates tar bytes into CHUNK-sized buffers; file content is read straight into them. */
class ChunkWriter {
  private buf = new Uint8Array(CHUNK);
  private off = 0;

  *write(bytes: Uint8Array): Generator<Uint8Array> {
    let done = 0;
    while (done < bytes.length) {
      const n = Math.min(bytes.length - done, CHUNK - this.off);
      this.buf.set(bytes.subarray(done, done + n), this.off);
      this.off += n;
      done += n;
      if (this.off === CHUNK) yield this.flush();
    }
  }

  /** Copy `size` bytes of the file at `path` (then the tar padding). */
  *copyFile(path: string, size: number): Generator<Uint8Array> {
    const fd = openSync(path, "r");
    try {
      let left = size;
      while (left > 0) {
        const n = readSync(fd, this.buf, this.off, Math.min(left, CHUNK - this.off), null);
        if (n === 0) throw new LayerError("E_LAYER", `${path} shrank while the layer was being written`, { hint: "Nothing may change the upper dir while kiln reads it." });
        this.off += n;
        left -= n;
        if (this.off === CHUNK) yield this.flush();
      }
    } finally {
      closeSync(fd);
    }
    yield* this.write(new Uint8Array(paddingFor(size)));
  }

  flush(): Uint8Array {
    const out = this.buf.subarray(0, this.off);
    this.buf = new Uint8Array(CHUNK);
    this.off = 0;
    return out;
  }

  get pending(): number {
    return this.off;
  }
}

function* generateTar(upperDir: string, opts: DiffOptions): Generator<Uint8Array> {
  const out = new ChunkWriter();
  const links = new Map<string, string>(); // "dev:ino" → first path written, for hard links
  for (const e of walk(upperDir, "", opts, links)) {
    yield* out.write(encodeHeader(e.header));
    if (e.header.type === "file" && e.header.size > 0) yield* out.copyFile(e.path, e.header.size);
  }
  yield* out.write(new Uint8Array(2 * BLOCK)); // end-of-archive marker
  if (out.pending > 0) yield out.flush();
}

interface Entry {
  path: string;
  header: TarHeader;
}

/** Directory entries in byte order of their names (locale-independent, like Go's sort of []string). */
function sortedNames(dir: string): string[] {
  const raw = readdirSync(dir, { encoding: "buffer" });
  raw.sort(Buffer.compare);
  return raw.map((b) => {
    try {
      return utf8.decode(b);
    } catch {
      throw new LayerError("E_LAYER", `${dir} holds a file name that is not valid UTF-8 (${b.toString("hex")})`, { hint: "Rename the file; kiln layers carry UTF-8 names only." });
    }
  });
}

function* walk(root: string, rel: string, opts: DiffOptions, links: Map<string, string>): Generator<Entry> {
  const dir = rel === "" ? root : `${root}/${rel}`;
  for (const name of sortedNames(dir)) {
    const path = `${dir}/${name}`;
    const childRel = rel === "" ? name : `${rel}/${name}`;
    const st = lstatSync(path);
    const xattrNames = listXattrs(path);
    refuseIncompleteDiff(path, xattrNames);
    if (overlayWhiteoutForm(path, st, opts.xattrNamespace, xattrNames)) {
      if (lowerKindAt(childRel, opts.lowerDirs, opts.xattrNamespace)) {
        const wh = rel === "" ? `${WHITEOUT_PREFIX}${name}` : `${rel}/${WHITEOUT_PREFIX}${name}`;
        yield { path, header: { name: wh, type: "file", mode: 0o600, uid: 0, gid: 0, size: 0, mtime: mtimeOf(st, opts) } };
      }
      continue;
    }
    const header = headerFor(path, childRel, st, xattrNames, opts, links);
    if (!header) continue;
    yield { path, header };
    if (!st.isDirectory()) continue;
    if (isOpaqueDir(path, opts.xattrNamespace) && lowerKindAt(childRel, opts.lowerDirs, opts.xattrNamespace) === "dir") {
      // Right after the directory and before its children, as Docker writes it,
      // so that an applier that deletes on the marker never deletes new content.
      yield { path, header: { ...header, name: `${childRel}/${WHITEOUT_OPAQUE}`, type: "file", mode: header.mode & 0o777, size: 0, xattrs: undefined } };
    }
    yield* walk(root, childRel, opts, links);
  }
}

const INCOMPLETE = ["redirect", "metacopy"] as const;

/** redirect_dir and metacopy make the upper dir refer to lower content: it is then not a layer. */
function refuseIncompleteDiff(path: string, xattrNames: string[]): void {
  for (const ns of ["trusted", "user"] as const) {
    for (const key of INCOMPLETE) {
      if (xattrNames.includes(overlayXattr(ns, key))) {
        throw new LayerError("E_LAYER", `${path} carries ${overlayXattr(ns, key)}: the upper dir is not a complete diff`, {
          hint: "Mount the overlay with redirect_dir=off and metacopy=off (kiln's sandbox does); this upper dir cannot become a layer.",
        });
      }
    }
  }
}

function mtimeOf(st: Stats, opts: DiffOptions): number {
  const t = Math.floor(st.mtimeMs / 1000);
  return opts.sourceDateEpoch !== undefined && t > opts.sourceDateEpoch ? opts.sourceDateEpoch : t;
}

/**
 * The xattrs a layer keeps: file capabilities and `user.*` (as containers/storage
 * does), never overlay's own markers; security.selinux and trusted.* describe
 * this host, not the image.
 */
function portableXattrs(path: string, names: string[]): [string, Uint8Array][] | undefined {
  const keep = names.filter((n) => (n === "security.capability" || n.startsWith("user.")) && !isOverlayXattr(n)).sort();
  const out: [string, Uint8Array][] = [];
  for (const n of keep) {
    const v = getXattr(path, n);
    if (v !== undefined) out.push([n, v]);
  }
  return out.length > 0 ? out : undefined;
}

function headerFor(path: string, rel: string, st: Stats, xattrNames: string[], opts: DiffOptions, links: Map<string, string>): TarHeader | undefined {
  const base = { name: rel, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, size: 0, mtime: mtimeOf(st, opts) };
  const xattrs = xattrNames.length > 0 ? portableXattrs(path, xattrNames) : undefined;
  if (st.isDirectory()) return { ...base, type: "dir", xattrs };
  if (st.isSymbolicLink()) return { ...base, type: "symlink", linkname: readlinkSync(path), xattrs };
  if (st.isFIFO()) return { ...base, type: "fifo", xattrs };
  if (st.isCharacterDevice() || st.isBlockDevice()) {
    const { major, minor } = splitDev(st.rdev);
    return { ...base, type: st.isCharacterDevice() ? "char" : "block", devmajor: major, devminor: minor, xattrs };
  }
  if (!st.isFile()) return undefined; // sockets: not part of an image (Docker drops them too)
  if (st.nlink > 1) {
    const key = `${st.dev}:${st.ino}`;
    const first = links.get(key);
    if (first !== undefined) return { ...base, type: "link", linkname: first };
    links.set(key, rel);
  }
  return { ...base, type: "file", size: st.size, xattrs };
}
