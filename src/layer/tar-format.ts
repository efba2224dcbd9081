// The tar header format, both ways: ustar headers plus PAX extended records
// for whatever ustar cannot hold (long or non-ASCII names and link targets,
// big sizes, ids and times, xattrs as SCHILY.xattr.* — what Go's archive/tar,
// and therefore Docker and containerd, read and write). kiln writes this
// itself instead of using tar-stream: tar-stream decodes PAX values as UTF-8
// (corrupting binary xattrs such as security.capability) and ignores PAX
// uid/gid/mtime, both of which a layer codec needs exactly.
import { LayerError } from "../errors.ts";

export const BLOCK = 512;

export type EntryType = "file" | "link" | "symlink" | "char" | "block" | "dir" | "fifo";

/** One tar entry's metadata, as kiln writes and reads it. `mtime` is in whole seconds. */
export interface TarHeader {
  name: string;
  type: EntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  /** Extended attributes, written as PAX `SCHILY.xattr.<name>` records (raw bytes). */
  xattrs?: [string, Uint8Array][];
}

const TYPEFLAG: Record<EntryType, number> = { file: 0x30, link: 0x31, symlink: 0x32, char: 0x33, block: 0x34, dir: 0x35, fifo: 0x36 };
const enc = new TextEncoder();
const MAX_OCTAL_7 = 0o7777777;
const MAX_OCTAL_11 = 0o77777777777;

const isAscii = (s: string) => /^[\x01-\x7f]*$/.test(s);

function putString(buf: Uint8Array, off: number, len: number, s: string): void {
  buf.set(enc.encode(s).subarray(0, len), off);
}

/** Octal, zero-padded to len-1 digits and NUL-terminated (Go's and GNU tar's layout). */
function putOctal(buf: Uint8Array, off: number, len: number, n: number): void {
  putString(buf, off, len - 1, n.toString(8).padStart(len - 1, "0"));
}

/** One PAX record: "<len> key=value\n", where len counts the whole record, itself included. */
function paxRecord(key: string, value: Uint8Array | string): Uint8Array {
  const v = typeof value === "string" ? enc.encode(value) : value;
  const body = 3 + enc.encode(key).length + v.length; // " " + "=" + "\n"
  let len = body + String(body).length;
  if (String(len).length !== String(body).length) len = body + String(len).length;
  const out = new Uint8Array(len);
  const head = enc.encode(`${len} ${key}=`);
  out.set(head, 0);
  out.set(v, head.length);
  out[len - 1] = 0x0a;
  return out;
}

function ustarBlock(h: TarHeader, name: string, typeflag: number, size: number): Uint8Array {
  const b = new Uint8Array(BLOCK);
  putString(b, 0, 100, name);
  putOctal(b, 100, 8, h.mode & 0o7777);
  putOctal(b, 108, 8, Math.min(h.uid, MAX_OCTAL_7));
  putOctal(b, 116, 8, Math.min(h.gid, MAX_OCTAL_7));
  putOctal(b, 124, 12, Math.min(size, MAX_OCTAL_11));
  putOctal(b, 136, 12, Math.min(Math.max(h.mtime, 0), MAX_OCTAL_11));
  b.fill(0x20, 148, 156);
  b[156] = typeflag;
  if (h.linkname && isAscii(h.linkname)) putString(b, 157, 100, h.linkname);
  putString(b, 257, 8, "ustar\x0000");
  putOctal(b, 329, 8, Math.min(h.devmajor ?? 0, MAX_OCTAL_7));
  putOctal(b, 337, 8, Math.min(h.devminor ?? 0, MAX_OCTAL_7));
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i]!;
  putString(b, 148, 7, sum.toString(8).padStart(6, "0"));
  b[154] = 0;
  return b;
}

/** PAX records `h` needs because ustar cannot hold them; empty when none. */
function paxRecordsFor(h: TarHeader, name: string): Uint8Array[] {
  const recs: Uint8Array[] = [];
  if (!isAscii(name) || enc.encode(name).length > 100) recs.push(paxRecord("path", name));
  if (h.linkname && (!isAscii(h.linkname) || enc.encode(h.linkname).length > 100)) recs.push(paxRecord("linkpath", h.linkname));
  if (h.size > MAX_OCTAL_11) recs.push(paxRecord("size", String(h.size)));
  if (h.uid > MAX_OCTAL_7) recs.push(paxRecord("uid", String(h.uid)));
  if (h.gid > MAX_OCTAL_7) recs.push(paxRecord("gid", String(h.gid)));
  if (h.mtime > MAX_OCTAL_11 || h.mtime < 0) recs.push(paxRecord("mtime", String(h.mtime)));
  for (const [k, v] of h.xattrs ?? []) recs.push(paxRecord(`SCHILY.xattr.${k}`, v));
  return recs;
}

/**
 * The header block(s) for one entry: a PAX extended header (and its padded
 * records) when needed, then the ustar header. Directory names get their
 * trailing "/" (as Docker writes `etc/`). The caller writes `size` bytes of
 * content after it, padded to a 512-byte boundary.
 */
export function encodeHeader(h: TarHeader): Uint8Array {
  const name = h.type === "dir" && !h.name.endsWith("/") ? `${h.name}/` : h.name;
  const main = ustarBlock(h, isAscii(name) ? name : "", TYPEFLAG[h.type], h.size);
  const recs = paxRecordsFor(h, name);
  if (recs.length === 0) return main;
  const paxLen = recs.reduce((n, r) => n + r.length, 0);
  const padded = Math.ceil(paxLen / BLOCK) * BLOCK;
  // Go names the PAX header "<dir>/PaxHeaders.0/<base>"; readers ignore it.
  const slash = name.replace(/\/$/, "").lastIndexOf("/");
  const paxName = `${name.slice(0, slash + 1)}PaxHeaders.0/${name.slice(slash + 1)}`.replace(/[^\x01-\x7f]/g, "_").slice(0, 100);
  const paxHeader = ustarBlock({ ...h, linkname: undefined, mtime: Math.max(0, Math.min(h.mtime, MAX_OCTAL_11)) }, paxName, 0x78, paxLen);
  const out = new Uint8Array(BLOCK + padded + BLOCK);
  out.set(paxHeader, 0);
  let off = BLOCK;
  for (const r of recs) {
    out.set(r, off);
    off += r.length;
  }
  out.set(main, BLOCK + padded);
  return out;
}

/** Bytes of zero padding after `size` bytes of content. */
export function paddingFor(size: number): number {
  return (BLOCK - (size % BLOCK)) % BLOCK;
}

/** Parse PAX records, keeping values as raw bytes (xattr values are binary). */
export function decodePax(data: Uint8Array): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const dec = new TextDecoder();
  let off = 0;
  while (off < data.length) {
    let sp = off;
    while (sp < data.length && data[sp] !== 0x20) sp++;
    const len = Number.parseInt(dec.decode(data.subarray(off, sp)), 10);
    if (!Number.isSafeInteger(len) || len <= sp - off || off + len > data.length || data[off + len - 1] !== 0x0a) {
      if (data.subarray(off).every((b) => b === 0)) break; // trailing NUL padding
      throw new LayerError("E_LAYER", "malformed PAX extended header in layer tar");
    }
    const rec = data.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq <= 0) throw new LayerError("E_LAYER", "malformed PAX record in layer tar (no key)");
    out.set(dec.decode(rec.subarray(0, eq)), rec.slice(eq + 1));
    off += len;
  }
  return out;
}
