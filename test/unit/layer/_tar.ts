// Test-only tar helpers: write a tar from headers with kiln's encoder, read one
// back with kiln's reader (content as text), in configurable chunk sizes.
import { BLOCK, encodeHeader, paddingFor, type TarHeader } from "../../../src/layer/tar-format.ts";
import { TarReader } from "../../../src/layer/tar-reader.ts";

/** A whole tar (headers, content, padding, end marker) from headers and contents. */
export function makeTar(entries: { h: TarHeader; content?: Uint8Array }[], trailer = 2 * BLOCK): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const { h, content } of entries) {
    parts.push(encodeHeader(h));
    if (content) parts.push(content, new Uint8Array(paddingFor(content.length)));
  }
  parts.push(new Uint8Array(trailer));
  return Buffer.concat(parts);
}

/** Read every entry (and file content as text) with kiln's reader. */
export async function readTar(bytes: Uint8Array, chunk = 4096) {
  const r = new TarReader(streamOf(bytes, chunk));
  const out: (TarHeader & { content?: string })[] = [];
  for (let e = await r.next(); e; e = await r.next()) {
    const { offset: _o, ...h } = e;
    let content: string | undefined;
    if (e.type === "file") {
      const parts: Uint8Array[] = [];
      for await (const c of r.body()) parts.push(c.slice());
      content = Buffer.concat(parts).toString();
    }
    out.push({ ...h, content });
  }
  await r.finish();
  return { entries: out, digest: r.digest, size: r.size };
}


/** Collect a stream into one buffer. */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A stream of `bytes` in `chunk`-sized pieces. */
export function streamOf(bytes: Uint8Array, chunk = 65536): ReadableStream<Uint8Array> {
  let off = 0;
  return new ReadableStream<Uint8Array>({
    pull(c) {
      if (off >= bytes.length) return c.close();
      c.enqueue(bytes.slice(off, off + chunk));
      off += chunk;
    },
  });
}

/**
 * A hand-made tar entry with any typeflag ("L", "x", "S", …) and payload: for
 * crafting hostile tars the encoder would never write.
 */
export function rawEntry(name: string, typeflag: string, payload: Uint8Array = new Uint8Array(0), opts: { size?: number; linkname?: string } = {}): Uint8Array {
  const b = new Uint8Array(BLOCK);
  const put = (off: number, s: string) => b.set(new TextEncoder().encode(s), off);
  put(0, name.slice(0, 100));
  put(100, "0000644\0");
  put(108, "0000000\0");
  put(116, "0000000\0");
  put(124, `${(opts.size ?? payload.length).toString(8).padStart(11, "0")}\0`);
  put(136, "00000000000\0");
  b.fill(0x20, 148, 156);
  b[156] = typeflag.charCodeAt(0);
  if (opts.linkname) put(157, opts.linkname);
  put(257, "ustar\x0000");
  let sum = 0;
  for (const x of b) sum += x;
  put(148, `${sum.toString(8).padStart(6, "0")}\0 `);
  return Buffer.concat([b, payload, new Uint8Array(paddingFor(payload.length))]);
}

/** A PAX record "len key=value\n". */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + String(body.length).length;
  if (String(len).length !== String(body.length).length) len = body.length + String(len).length;
  return `${len}${body}`;
}
