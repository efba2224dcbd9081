// A minimal image store in a temp dir for registry tests, independent of
// kiln's Store: blobs by digest (verified as written, nothing kept on a
// mismatch), pulled records, and blob locations. It implements the registry
// client's ImageSink and makes ImageSources from images built here.
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { join } from "node:path";
import { KilnError } from "../../src/errors.ts";
import {
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  MEDIA_TYPE_OCI_MANIFEST,
  type Digest,
  type ImageConfig,
  type Manifest,
} from "../../src/image/index.ts";
import type { BlobLocation, ImageSink, ImageSource, PulledImage, PulledRecord } from "../../src/registry/index.ts";
import { sha256, Sha256Stream } from "../../src/util/digest.ts";

export class DirImageStore implements ImageSink {
  readonly pulledImages = new Map<string, PulledImage>();
  readonly locations = new Map<Digest, BlobLocation[]>();
  constructor(readonly root: string) {
    mkdirSync(join(root, "blobs"), { recursive: true });
  }

  blobPath(d: Digest): string {
    return join(this.root, "blobs", d.slice(7));
  }
  hasBlob(d: Digest): boolean {
    return existsSync(this.blobPath(d));
  }
  blobDigests(): string[] {
    return readdirSync(join(this.root, "blobs")).filter((f) => !f.startsWith("."));
  }

  async putBlob(data: ReadableStream<Uint8Array> | Uint8Array, expect: { digest: Digest; size: number }): Promise<void> {
    const tmp = join(this.root, "blobs", `.tmp-${crypto.randomUUID()}`);
    const h = new Sha256Stream();
    const w = Bun.file(tmp).writer();
    try {
      const chunks = data instanceof Uint8Array ? [data] : data;
      for await (const c of chunks) {
        h.update(c);
        w.write(c);
      }
      await w.end();
      if (h.digest() !== expect.digest || h.size !== expect.size) {
        throw new KilnError("E_BLOB_DIGEST_MISMATCH", `expected ${expect.digest} (${expect.size} bytes), got ${h.digest()} (${h.size} bytes)`);
      }
      renameSync(tmp, this.blobPath(expect.digest));
    } finally {
      rmSync(tmp, { force: true });
    }
  }

  async pulled(ref: string, platform: string, remoteDigest: Digest): Promise<PulledRecord | undefined> {
    const p = this.pulledImages.get(`${ref}|${platform}`);
    return p && p.remoteDigest === remoteDigest ? { remoteDigest: p.remoteDigest, manifestDigest: p.manifestDigest, id: p.manifest.config.digest } : undefined;
  }
  async commitPulled(image: PulledImage): Promise<void> {
    for (const d of [image.manifestDigest, image.manifest.config.digest, ...image.layers.map((l) => l.descriptor.digest)]) {
      if (!this.hasBlob(d)) throw new Error(`commitPulled: blob ${d} missing`);
    }
    this.pulledImages.set(`${image.ref}|${image.platform}`, image);
  }
  recordBlobLocation(d: Digest, l: BlobLocation): void {
    const list = this.locations.get(d) ?? [];
    if (!list.some((x) => x.registry === l.registry && x.repository === l.repository)) list.push(l);
    this.locations.set(d, list);
  }

  /** An ImageSource for a manifest whose blobs are here. */
  source(manifestDigest: Digest): ImageSource {
    const bytes = new Uint8Array(require("node:fs").readFileSync(this.blobPath(manifestDigest)));
    const manifest = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
    return {
      manifestBytes: bytes,
      manifestMediaType: manifest.mediaType ?? MEDIA_TYPE_OCI_MANIFEST,
      manifest,
      blob: (d) => Bun.file(this.blobPath(d)),
      blobLocations: (d) => this.locations.get(d) ?? [],
      recordBlobLocation: (d, l) => this.recordBlobLocation(d, l),
    };
  }

  /** Write bytes as a blob (no verification needed: the digest is computed here). */
  writeBlob(bytes: Uint8Array): { digest: Digest; size: number } {
    const digest = sha256(bytes);
    writeFileSync(this.blobPath(digest), bytes);
    return { digest, size: bytes.byteLength };
  }

  /**
   * Build an image from gzip layer blobs: OCI config (diff ids from the
   * decompressed bytes) and manifest. Returns the manifest digest.
   */
  makeImage(gzLayers: Uint8Array[], opts: { cmd?: string[]; architecture?: string; label?: string } = {}): Digest {
    const layers = gzLayers.map((gz) => ({ ...this.writeBlob(gz), diffId: sha256(gunzipSync(gz)) }));
    const config: ImageConfig = {
      architecture: opts.architecture ?? "amd64",
      os: "linux",
      config: { Cmd: opts.cmd ?? ["/bin/sh"], Env: ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], Labels: opts.label ? { test: opts.label } : undefined },
      rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    };
    const cfg = this.writeBlob(new TextEncoder().encode(JSON.stringify(config)));
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      config: { mediaType: MEDIA_TYPE_OCI_CONFIG, digest: cfg.digest, size: cfg.size },
      layers: layers.map((l) => ({ mediaType: MEDIA_TYPE_OCI_LAYER_GZIP, digest: l.digest, size: l.size })),
    };
    return this.writeBlob(new TextEncoder().encode(JSON.stringify(manifest))).digest;
  }
}

/** A small gzip'd tar layer holding one file (made with tar-stream, no tools needed). */
export async function tarGzLayer(files: Record<string, string | Uint8Array>): Promise<Uint8Array> {
  const tarStream = await import("tar-stream");
  const pack = tarStream.pack();
  for (const [name, content] of Object.entries(files)) pack.entry({ name, mode: 0o644, mtime: new Date(0) }, Buffer.from(content));
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack as AsyncIterable<Buffer>) chunks.push(c);
  return new Uint8Array(Bun.gzipSync(Buffer.concat(chunks)));
}
