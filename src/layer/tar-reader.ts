// A streaming tar reader for layers that may be hostile. It hashes every byte
// it pulls (the diffID is the sha256 of the uncompressed tar exactly as read,
// end-of-archive padding included), hands out one entry at a time with its
// content as chunks, and turns every malformation — bad checksum, truncation,
// absurd PAX sizes, sparse files — into a LayerError. Metadata is bounded:
// nothing a tar declares makes it hold more than MAX_META_BYTES in memory.
import { closeSync, constants, openSync, writeSync } from "node:fs";
import { LayerError } from "../errors.ts";
import { Sha256Stream, type Sha256Digest } from "../util/digest.ts";
import { BLOCK, decodePax, paddingFor, type EntryType, type TarHeader } from "./tar-format.ts";

/** Largest PAX or GNU long-name payload accepted (Go's archive/tar allows 1 MiB too). */
const MAX_META_BYTES = 1 << 20;

const TYPES: Record<string, EntryType> = { "0": "file", "\0": "file", "7": "file", "1": "link", "2": "symlink", "3": "char", "4": "block", "5": "dir", "6": "fifo" };
const utf8 = new TextDecoder("utf-8", { fatal: true });

function text(b: Uint8Array, what: string): string {
  try {
    return utf8.decode(b);
  } catch {
    throw new LayerError("E_LAYER", `layer tar has a ${what} that is not valid UTF-8; kiln cannot represent it`);
  }
}

function cstring(b: Uint8Array, off: number, len: number, what: string): string {
  const field = b.subarray(off, off + len);
  const nul = field.indexOf(0);
  return text(nul === -1 ? field : field.subarray(0, nul), what);
}

/** A numeric field: octal (space/NUL padded) or GNU base-256 (high bit set). */
function numeric(b: Uint8Array, off: number, len: number): number {
  const f = b.subarray(off, off + len);
  if (f[0]! & 0x80) {
    if (f[0] === 0xff) throw new LayerError("E_LAYER", "layer tar has a negative numeric field");
    let n = f[0]! & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + f[i]!;
    if (!Number.isSafeInteger(n)) throw new LayerError("E_LAYER", "layer tar has a numeric field too large to handle");
    return n;
  }
  const s = new TextDecoder().decode(f).replace(/[\0 ]+$/, "").replace(/^[\0 ]+/, "");
  if (s === "") return 0;
  if (!/^[0-7]+$/.test(s)) throw new LayerError("E_LAYER", `layer tar has a malformed numeric field "${s}"`);
  return Number.parseInt(s, 8);
}

function checksumOk(b: Uint8Array): boolean {
  const want = numeric(b, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < BLOCK; i++) {
    const v = i >= 148 && i < 156 ? 0x20 : b[i]!;
    unsigned += v;
    signed += v > 127 ? v - 256 : v;
  }
  return want === unsigned || want === signed;
}

/** The entry the reader is positioned on; read its content with `body()` before asking for the next. */
export interface TarEntry extends TarHeader {
  /** Byte offset of the entry's header in the tar, for error messages. */
  offset: number;
}

export class TarReader {
  private readonly reader: ReturnType<typeof readerOf>;
  private readonly hash = new Sha256Stream();
  private buf: Uint8Array = new Uint8Array(0);
  private pos = 0; // bytes consumed by the parser (the hash may be ahead: buffered bytes)
  private eof = false;
  private bodyLeft = 0; // content + padding of the current entry not yet consumed
  private contentLeft = 0; // content of the current regular file not yet handed out
  private current = ""; // name of the current entry, for messages
  private global = new Map<string, Uint8Array>();

  constructor(stream: ReadableStream<Uint8Array>) {
    this.reader = readerOf(stream);
  }

  /** sha256 and size of every byte read so far (call after `finish()` for the whole tar). */
  get digest(): Sha256Digest {
    return this.hash.digest();
  }
  get size(): number {
    return this.hash.size;
  }

  private async fill(): Promise<boolean> {
    if (this.eof) return false;
    const r = await this.reader.read();
    if (r.done) {
      this.eof = true;
      return false;
    }
    this.hash.update(r.value);
    this.buf = this.buf.length === 0 ? r.value : concat(this.buf, r.value);
    return true;
  }

  /** Exactly n bytes (n small), or fewer only at the end of the stream. */
  private async take(n: number): Promise<Uint8Array> {
    while (this.buf.length < n && (await this.fill()));
    const out = this.buf.subarray(0, Math.min(n, this.buf.length));
    this.buf = this.buf.subarray(out.length);
    this.pos += out.length;
    return out;
  }

  /** Stream the current entry's content in chunks (views into the read buffer: consume each before the next). */
  async *body(): AsyncGenerator<Uint8Array> {
    while (this.contentLeft > 0) {
      if (this.buf.length === 0 && !(await this.fill())) throw this.truncated();
      const n = Math.min(this.contentLeft, this.buf.length);
      const chunk = this.buf.subarray(0, n);
      this.buf = this.buf.subarray(n);
      this.pos += n;
      this.contentLeft -= n;
      this.bodyLeft -= n;
      yield chunk;
    }
  }

  /**
   * Write the current entry's content into a new file at `path`: O_EXCL and
   * O_NOFOLLOW, so an existing file, or a symlink a hostile tar planted there,
   * is an error rather than something written through. Mode 0600 until the
   * caller sets the entry's own.
   */
  async writeBodyToNewFile(path: string): Promise<void> {
    const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      for await (const chunk of this.body()) {
        let off = 0;
        while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
      }
    } finally {
      closeSync(fd);
    }
  }

  private truncated(): LayerError {
    return new LayerError("E_LAYER", `layer tar is truncated: it ends inside entry "${this.current}" (at byte ${this.pos})`, {
      hint: "The download or the file is incomplete; fetch the layer again.",
    });
  }

  /** Skip whatever is left of the current entry (content and padding). */
  private async skipBody(): Promise<void> {
    while (this.bodyLeft > 0) {
      if (this.buf.length === 0 && !(await this.fill())) throw this.truncated();
      const n = Math.min(this.bodyLeft, this.buf.length);
      this.buf = this.buf.subarray(n);
      this.pos += n;
      this.bodyLeft -= n;
    }
    this.contentLeft = 0;
  }

  /** Read a metadata payload (PAX records, GNU long names) of `size` bytes plus padding. */
  private async meta(size: number, what: string): Promise<Uint8Array> {
    if (size > MAX_META_BYTES) throw new LayerError("E_LAYER", `layer tar declares a ${size}-byte ${what}; refusing more than ${MAX_META_BYTES}`);
    const data = (await this.take(size)).slice();
    if (data.length < size) throw this.truncated();
    const pad = await this.take(paddingFor(size));
    if (pad.length < paddingFor(size)) throw this.truncated();
    return data;
  }

  /** The next entry, or undefined at the end of the archive. */
  async next(): Promise<TarEntry | undefined> {
    await this.skipBody();
    let pax = new Map<string, Uint8Array>();
    let longName: string | undefined;
    let longLink: string | undefined;
    for (;;) {
      const offset = this.pos;
      const b = await this.take(BLOCK);
      if (b.length === 0) return undefined; // no end-of-archive marker: accepted, as Go's reader does
      if (b.length < BLOCK) throw this.truncated();
      if (b.every((x) => x === 0)) return undefined;
      if (!checksumOk(b)) throw new LayerError("E_LAYER", `layer tar has an invalid header checksum at byte ${offset}`, { hint: "The file is not an (uncompressed) tar, or it is corrupt." });
      const flag = String.fromCharCode(b[156]!);
      const size = numeric(b, 124, 12);
      if (flag === "x" || flag === "g") {
        const recs = decodePax(await this.meta(size, "PAX header"));
        if (flag === "g") for (const [k, v] of recs) this.global.set(k, v);
        else pax = recs;
        continue;
      }
      if (flag === "L" || flag === "K") {
        const v = text(await this.meta(size, "GNU long name"), "name").replace(/\0+$/, "");
        if (flag === "L") longName = v;
        else longLink = v;
        continue;
      }
      const all = new Map([...this.global, ...pax]);
      const entry = this.parseHeader(b, flag, size, offset, all, longName, longLink);
      this.current = entry.name;
      this.contentLeft = entry.type === "file" ? entry.size : 0;
      this.bodyLeft = entry.size + paddingFor(entry.size);
      return entry;
    }
  }

  private parseHeader(b: Uint8Array, flag: string, size: number, offset: number, pax: Map<string, Uint8Array>, longName?: string, longLink?: string): TarEntry {
    const magic = new TextDecoder().decode(b.subarray(257, 263));
    let name = cstring(b, 0, 100, "name");
    if (magic === "ustar\0" && b[345] !== 0) name = `${cstring(b, 345, 155, "name")}/${name}`;
    const paxText = (k: string) => (pax.has(k) ? text(pax.get(k)!, k) : undefined);
    const paxNum = (k: string, def: number) => {
      const v = paxText(k);
      if (v === undefined) return def;
      const n = Number.parseFloat(v);
      if (!Number.isFinite(n)) throw new LayerError("E_LAYER", `layer tar has a malformed PAX ${k} "${v}"`);
      return k === "mtime" ? Math.floor(n) : n;
    };
    name = paxText("path") ?? longName ?? name;
    let type = TYPES[flag];
    const sparse = flag === "S" || [...pax.keys()].some((k) => k.startsWith("GNU.sparse."));
    if (type === undefined || sparse) {
      throw new LayerError("E_LAYER", `layer tar entry "${name}" has an unsupported type ${JSON.stringify(flag)}${sparse ? " (sparse files are not supported)" : ""}`);
    }
    if (type === "file" && name.endsWith("/")) type = "dir"; // pre-POSIX tars mark dirs by the slash alone
    const xattrs: [string, Uint8Array][] = [];
    for (const [k, v] of pax) if (k.startsWith("SCHILY.xattr.")) xattrs.push([k.slice("SCHILY.xattr.".length), v]);
    const entrySize = paxNum("size", size);
    if (!Number.isSafeInteger(entrySize) || entrySize < 0) throw new LayerError("E_LAYER", `layer tar entry "${name}" declares an impossible size`);
    return {
      offset,
      name,
      type,
      mode: numeric(b, 100, 8) & 0o7777,
      uid: paxNum("uid", numeric(b, 108, 8)),
      gid: paxNum("gid", numeric(b, 116, 8)),
      size: entrySize,
      mtime: paxNum("mtime", numeric(b, 136, 12)),
      linkname: paxText("linkpath") ?? longLink ?? cstring(b, 157, 100, "link target"),
      devmajor: numeric(b, 329, 8),
      devminor: numeric(b, 337, 8),
      xattrs,
    };
  }

  /** Read (and hash) the rest of the stream after the end of the archive. */
  async finish(): Promise<void> {
    this.buf = new Uint8Array(0);
    while (await this.fill()) this.buf = new Uint8Array(0);
  }

  /** Stop reading early (on error): release the source stream. */
  async cancel(reason?: unknown): Promise<void> {
    await this.reader.cancel(reason).catch(() => {});
  }
}

function readerOf(stream: ReadableStream<Uint8Array>) {
  return stream.getReader();
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
