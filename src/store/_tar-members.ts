import { join, posix } from "node:path";
import { StoreError } from "../errors.ts";
import { drained, memberName, tarStream } from "./_tar.ts";

// Reading image archives. Member names are only ever map keys, never paths
// on disk: a hostile archive cannot make kiln write anywhere.

/** The regular members of an archive, by canonical name, as Blobs (links inside the archive followed). */
export interface ArchiveMembers {
  count: number;
  get(name: string): Blob | undefined;
}

interface TarFileEntry {
  name: string;
  /** Offset of the member's data in the tar stream. */
  offset: number;
  size: number;
  data: AsyncIterable<Uint8Array>;
}

/**
 * Walk a tar stream: `onFile` gets every regular member (and must consume or
 * skip its data); links between members are returned for lookups.
 */
async function walkTar(input: ReadableStream<Uint8Array>, onFile: (f: TarFileEntry) => Promise<void>): Promise<Map<string, string>> {
  const extract = tarStream().extract();
  const links = new Map<string, string>();
  const consume = (async () => {
    for await (const entry of extract) {
      const h = entry.header as typeof entry.header & { byteOffset?: number };
      const name = memberName(h.name);
      if (h.type === "file" || h.type === "contiguous-file") {
        await onFile({ name, offset: h.byteOffset ?? -1, size: h.size, data: entry as unknown as AsyncIterable<Uint8Array> });
        entry.resume();
        continue;
      }
      if (h.type === "symlink" && h.linkname) links.set(name, memberName(posix.join(posix.dirname(name), h.linkname)));
      if (h.type === "link" && h.linkname) links.set(name, memberName(h.linkname));
      entry.resume();
    }
  })();
  const feed = (async () => {
    for await (const chunk of input as unknown as AsyncIterable<Uint8Array>) {
      if (!extract.write(chunk)) await drained(extract);
    }
    (extract as unknown as { end(): void }).end();
  })();
  try {
    await Promise.all([consume, feed]);
  } catch (err) {
    extract.destroy();
    throw new StoreError("E_STORE", `the archive is not a readable tar: ${(err as Error).message}`, {
      cause: err,
      hint: "kiln load reads the output of 'docker save', 'kiln save' or an OCI archive (plain or compressed)",
    });
  }
  return links;
}

function members(blobs: Map<string, Blob>, links: Map<string, string>): ArchiveMembers {
  return {
    count: blobs.size,
    get(name) {
      let key = memberName(name);
      for (let i = 0; i < 40 && !blobs.has(key) && links.has(key); i++) key = links.get(key)!;
      return blobs.get(key);
    },
  };
}

/**
 * Copy every regular member of a tar stream into `dir` (numbered files):
 * the index of an image archive (manifest.json) may come last, and a stream
 * cannot be read twice.
 */
export async function spoolTar(input: ReadableStream<Uint8Array>, dir: string): Promise<ArchiveMembers> {
  const blobs = new Map<string, Blob>();
  let n = 0;
  const links = await walkTar(input, async (f) => {
    const path = join(dir, String(n++));
    // Loaded here, not at start-up (scripts/lint.ts SLOW_TO_LOAD).
    const { open } = await import("node:fs/promises");
    const fh = await open(path, "wx", 0o600);
    try {
      for await (const chunk of f.data) await fh.write(chunk);
    } finally {
      await fh.close();
    }
    blobs.set(f.name, Bun.file(path));
  });
  return members(blobs, links);
}

/** An uncompressed tar file needs no copy: members are slices of the file itself. */
export async function indexTarFile(path: string): Promise<ArchiveMembers> {
  const file = Bun.file(path);
  const blobs = new Map<string, Blob>();
  const links = await walkTar(file.stream(), async (f) => {
    if (f.offset < 0) throw new Error(`no offset for ${f.name}`);
    blobs.set(f.name, file.slice(f.offset, f.offset + f.size));
  });
  return members(blobs, links);
}
