import { StoreError } from "../errors.ts";
import {
  ANNOTATION_REF_NAME,
  digestHex,
  familiarName,
  familiarRepository,
  MEDIA_TYPE_OCI_CONFIG,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_MANIFEST,
  parseReference,
  repositoryName,
  type Descriptor,
  type Digest,
  type ImageIndex,
  type Manifest,
} from "../image/index.ts";
import { decompressStream } from "../layer/index.ts";
import { sha256, Sha256Stream } from "../util/digest.ts";
import type { ImageRecord } from "./images.ts";
import { imageNotFound } from "./resolve.ts";
import { TarWriter } from "./_tar.ts";
import type { Store } from "./store.ts";

export type ArchiveFormat = "docker-archive" | "oci-archive";

/** One image to save, with the canonical refs to save it under (none when named by id). */
export interface SaveItem {
  record: ImageRecord;
  refs: string[];
}

const ANNOTATION_CONTAINERD_NAME = "io.containerd.image.name";

/**
 * What `docker save NAME…` saves: a tag saves that tag; a repository without
 * a tag saves all of its tags; an id saves the image without names. The same
 * image named twice is saved once, with every name.
 */
export async function selectForSave(store: Store, names: string[]): Promise<SaveItem[]> {
  const items = new Map<Digest, SaveItem>();
  const add = (record: ImageRecord, refs: string[]) => {
    const item = items.get(record.id) ?? { record, refs: [] };
    for (const r of refs) if (!item.refs.includes(r)) item.refs.push(r);
    items.set(record.id, item);
  };
  for (const name of names) {
    const nameOnly = !/[:@]/.test(name.slice(name.lastIndexOf("/") + 1)) && !/^[a-f0-9]{64}$/.test(name);
    if (nameOnly) {
      const repo = (() => {
        try {
          return repositoryName(parseReference(name));
        } catch {
          return undefined;
        }
      })();
      const matching = repo ? (await store.listImages()).filter((r) => r.names.some((n) => n.startsWith(`${repo}:`))) : [];
      if (matching.length > 0) {
        for (const r of matching) add(r, r.names.filter((n) => n.startsWith(`${repo}:`)));
        continue;
      }
    }
    const found = await store.images.resolve(name);
    if (!found) throw imageNotFound(name, "list the images with 'kiln images'");
    add(found.record, found.ref ? [found.ref] : []);
  }
  return [...items.values()];
}

/**
 * The uncompressed size of a layer blob, checking that it unpacks to the diff
 * id the config names. A layer stored uncompressed is its own diff id (its
 * blob digest is verified as it is read); a compressed one is decompressed
 * once here, to learn the size a tar header needs before the content, and
 * again into the archive: inflating is cheaper than a temp copy on disk.
 */
async function layerSize(store: Store, layer: Descriptor, diffId: Digest): Promise<number> {
  if (layer.digest === diffId) return layer.size;
  const hash = new Sha256Stream();
  try {
    for await (const chunk of decompressStream(store.openBlob(layer.digest)) as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  } catch (err) {
    throw await store.blobs.explainReadFailure(err, layer.digest);
  }
  if (hash.digest() !== diffId) {
    throw new StoreError("E_BLOB_DIGEST_MISMATCH", `layer ${layer.digest} unpacks to ${hash.digest()}, but the image config says ${diffId}`);
  }
  return hash.size;
}

function indexEntry(manifest: Descriptor, ref: string | undefined, refName: (ref: string) => string): Descriptor {
  if (!ref) return manifest;
  return { ...manifest, annotations: { [ANNOTATION_CONTAINERD_NAME]: ref, [ANNOTATION_REF_NAME]: refName(ref) } };
}

/**
 * The archive `docker save` writes since Docker 25, which Docker 20.10's
 * `docker load` reads too (it only follows manifest.json): an OCI layout with
 * uncompressed layers (blob digest = diff id) plus manifest.json and
 * repositories.
 */
async function writeDockerArchive(store: Store, items: SaveItem[], w: TarWriter): Promise<void> {
  const written = new Map<Digest, number>();
  const manifestJson: { Config: string; RepoTags: string[] | null; Layers: string[] }[] = [];
  const repositories: Record<string, Record<string, string>> = {};
  const index: ImageIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests: [] };
  for (const { record, refs } of items) {
    const layers: Descriptor[] = [];
    for (const [i, diffId] of record.diffIds.entries()) {
      if (!written.has(diffId)) {
        const layer = record.manifest.layers[i]!;
        const size = await layerSize(store, layer, diffId);
        await w.stream(`blobs/sha256/${digestHex(diffId)}`, size, decompressStream(store.openBlob(layer.digest)));
        written.set(diffId, size);
      }
      layers.push({ mediaType: MEDIA_TYPE_OCI_LAYER, digest: diffId, size: written.get(diffId)! });
    }
    const config = await store.blobs.read(record.manifest.config.digest);
    await w.bytes(`blobs/sha256/${digestHex(record.manifest.config.digest)}`, config);
    const manifest: Manifest = {
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_OCI_MANIFEST,
      config: { mediaType: MEDIA_TYPE_OCI_CONFIG, digest: record.manifest.config.digest, size: config.length },
      layers,
    };
    const manifestBytes = JSON.stringify(manifest);
    const mdesc: Descriptor = { mediaType: MEDIA_TYPE_OCI_MANIFEST, digest: sha256(manifestBytes), size: Buffer.byteLength(manifestBytes) };
    await w.bytes(`blobs/sha256/${digestHex(mdesc.digest)}`, manifestBytes);
    for (const ref of refs.length > 0 ? refs : [undefined]) index.manifests.push(indexEntry(mdesc, ref, (r) => parseReference(r).tag ?? r));
    manifestJson.push({
      Config: `blobs/sha256/${digestHex(record.manifest.config.digest)}`,
      RepoTags: refs.length > 0 ? refs.map((r) => familiarName(parseReference(r))) : null,
      Layers: layers.map((l) => `blobs/sha256/${digestHex(l.digest)}`),
    });
    const top = record.diffIds[record.diffIds.length - 1];
    for (const r of refs.map((x) => parseReference(x))) {
      if (top && r.tag) (repositories[familiarRepository(r)] ??= {})[r.tag] = digestHex(top);
    }
  }
  await w.bytes("index.json", JSON.stringify(index));
  await w.bytes("manifest.json", JSON.stringify(manifestJson));
  await w.bytes("oci-layout", JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  if (Object.keys(repositories).length > 0) await w.bytes("repositories", JSON.stringify(repositories));
}

/** An OCI image layout archive with the store's blobs as they are (compressed layers, same digests). */
async function writeOciArchive(store: Store, items: SaveItem[], w: TarWriter): Promise<void> {
  const written = new Set<Digest>();
  const index: ImageIndex = { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests: [] };
  for (const { record, refs } of items) {
    for (const d of [record.manifestDigest, record.manifest.config.digest, ...record.manifest.layers.map((l) => l.digest)]) {
      if (written.has(d)) continue;
      await w.stream(`blobs/sha256/${digestHex(d)}`, store.blobs.size(d), store.openBlob(d));
      written.add(d);
    }
    const mdesc: Descriptor = { mediaType: record.manifest.mediaType ?? MEDIA_TYPE_OCI_MANIFEST, digest: record.manifestDigest, size: store.blobs.size(record.manifestDigest) };
    for (const ref of refs.length > 0 ? refs : [undefined]) index.manifests.push(indexEntry(mdesc, ref, (r) => r));
  }
  await w.bytes("oci-layout", JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  await w.bytes("index.json", JSON.stringify(index));
}

/** Write `items` as an image archive; the tar bytes go to `sink` as they are made. */
export async function saveArchive(store: Store, items: SaveItem[], format: ArchiveFormat, sink: (chunk: Uint8Array) => Promise<void> | void): Promise<void> {
  const w = new TarWriter(sink);
  try {
    await w.dir("blobs");
    await w.dir("blobs/sha256");
    if (format === "oci-archive") await writeOciArchive(store, items, w);
    else await writeDockerArchive(store, items, w);
  } catch (err) {
    w.abort(err as Error);
    throw err;
  }
  await w.finish();
}
