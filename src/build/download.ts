/**
 * ADD <url>: download once per build into the step's temp dir, as Docker's
 * classic builder does (builder/dockerfile/copy.go downloadSource): the file
 * is named after Content-Disposition or the URL's last path component, gets
 * mode 0600 and the Last-Modified time (the epoch without one), and is never
 * unpacked. `--checksum=sha256:<hex>` is verified (BuildKit's flag).
 */
import { closeSync, openSync, utimesSync, writeSync } from "node:fs";
import { BuildError } from "../errors.ts";
import type { CopyItem } from "../layer/index.ts";
import { hashEntryBytes } from "./source-hash.ts";

/** http:// or https:// (Docker's urlutil.IsURL). */
export function isUrl(src: string): boolean {
  return src.startsWith("http://") || src.startsWith("https://");
}

/** Docker's getFilenameForDownload. */
export function filenameForDownload(url: string, contentDisposition: string | null): string {
  const m = contentDisposition && /filename\*?=(?:UTF-8'')?"?([^";]+)"?/i.exec(contentDisposition);
  if (m?.[1]) {
    const name = decodeURIComponent(m[1]).split("/").pop()!;
    if (name && name !== "." && name !== "..") return name;
  }
  const path = new URL(url).pathname;
  const base = decodeURIComponent(path.slice(path.lastIndexOf("/") + 1));
  if (!base || base === "." || base === "..") {
    throw new BuildError("E_BUILD", `cannot determine filename from url: ${url}`, { hint: "add a file name to the destination, or use a URL that ends in one" });
  }
  return base;
}

export interface Download {
  item: CopyItem;
  /** `file:<hash>` for the history and the cache key. */
  hash: string;
}

/** Fetch `url` into `dir`; verify `checksum` (sha256:<hex>) when given. */
export async function downloadSource(url: string, dir: string, checksum?: string): Promise<Download> {
  let res: Response;
  try {
    res = await fetch(url, { redirect: "follow" });
  } catch (err) {
    throw new BuildError("E_BUILD", `ADD failed: cannot download ${url}: ${(err as Error).message}`, { cause: err, hint: "check the URL and the network" });
  }
  if (!res.ok || !res.body) {
    throw new BuildError("E_BUILD", `ADD failed: ${url} answered ${res.status} ${res.statusText}`, { hint: "check the URL" });
  }
  const name = filenameForDownload(url, res.headers.get("content-disposition"));
  const path = `${dir}/download-${Math.random().toString(36).slice(2)}`;
  const hasher = new Bun.CryptoHasher("sha256");
  const chunks: Uint8Array[] = [];
  let size = 0;
  const fd = openSync(path, "wx", 0o600);
  try {
    for await (const chunk of res.body) {
      hasher.update(chunk);
      size += chunk.length;
      if (size <= 1 << 20) chunks.push(chunk);
      let off = 0;
      while (off < chunk.length) off += writeSync(fd, chunk, off, chunk.length - off);
    }
  } finally {
    closeSync(fd);
  }
  const digest = `sha256:${hasher.digest("hex")}`;
  if (checksum && checksum !== digest) {
    throw new BuildError("E_BUILD", `ADD failed: checksum mismatch for ${url}: expected ${checksum}, got ${digest}`, { hint: "the file changed on the server, or --checksum is wrong" });
  }
  const lastModified = res.headers.get("last-modified");
  const mtime = lastModified && !Number.isNaN(Date.parse(lastModified)) ? Math.floor(Date.parse(lastModified) / 1000) : 0;
  utimesSync(path, mtime, mtime);
  // Small files are hashed as Docker hashes a file (header + bytes); big ones by their digest only.
  const header = { name, kind: "file" as const, perm: 0o600, size, uid: 0, gid: 0, uname: "", gname: "" };
  const hash = size <= 1 << 20 ? hashEntryBytes(header, Buffer.concat(chunks)) : digest.slice(7);
  return { item: { path, name, kind: "file", perm: 0o600, mtime }, hash: `file:${hash}` };
}
