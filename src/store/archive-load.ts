import { StoreError } from "../errors.ts";
import {
  ANNOTATION_REF_NAME,
  digestHex,
  familiarName,
  hostPlatform,
  imageIdOf,
  isIndexMediaType,
  normalizeReference,
  parseReference,
  selectPlatform,
  type Descriptor,
  type Digest,
  type ImageConfig,
  type ImageIndex,
  type Manifest,
} from "../image/index.ts";
import { decompressStream, detectCompression, encodeLayer } from "../layer/index.ts";
import { indexTarFile, spoolTar, type ArchiveMembers } from "./_tar-members.ts";
import type { Store } from "./store.ts";
import { removeTree } from "./tree.ts";

/** Called with each line `docker load` would print (Loaded image: …). */
export type LoadReporter = (line: string) => void;

function broken(what: string): StoreError {
  return new StoreError("E_STORE", `invalid image archive: ${what}`, {
    hint: "kiln load reads the output of 'docker save', 'kiln save' or an OCI archive",
  });
}

async function readMember(archive: ArchiveMembers, name: string): Promise<Uint8Array> {
  const member = archive.get(name);
  if (!member) throw broken(`${name} is missing`);
  return new Uint8Array(await member.arrayBuffer());
}

async function readJsonMember<T>(archive: ArchiveMembers, name: string): Promise<T> {
  try {
    return JSON.parse(new TextDecoder().decode(await readMember(archive, name))) as T;
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw broken(`${name} is not valid JSON`);
  }
}

/** Say (as docker does) that a tag moves away from another image, then commit. */
async function announceRetag(store: Store, refs: string[], id: Digest, report: LoadReporter): Promise<void> {
  for (const ref of refs) {
    const before = await store.findImage(ref);
    if (before && before.id !== id) report(`The image ${familiarName(parseReference(ref))} already exists, renaming the old one with ID ${before.id} to empty string`);
  }
}

function reportLoaded(refs: string[], id: Digest, report: LoadReporter): void {
  if (refs.length === 0) report(`Loaded image ID: ${id}`);
  for (const ref of refs) report(`Loaded image: ${familiarName(parseReference(ref))}`);
}

/**
 * A docker-archive (manifest.json: Docker ≤ 24's layer.tar dirs, or Docker 25+'s
 * OCI-style blobs/). Layers are stored gzip-compressed, like kiln's own; a
 * layer the store already has (same diff id) is not stored twice.
 */
async function loadDockerArchive(store: Store, archive: ArchiveMembers, report: LoadReporter): Promise<void> {
  const entries = await readJsonMember<{ Config: string; RepoTags?: string[] | null; Layers: string[] }[]>(archive, "manifest.json");
  if (!Array.isArray(entries)) throw broken("manifest.json is not a list");
  const known = new Map<Digest, Descriptor>();
  for (const r of await store.listImages()) r.diffIds.forEach((d, i) => r.manifest.layers[i] && known.set(d, r.manifest.layers[i]!));
  for (const entry of entries) {
    const configBytes = await readMember(archive, entry.Config);
    const config = JSON.parse(new TextDecoder().decode(configBytes)) as ImageConfig;
    const diffIds = config.rootfs?.diff_ids ?? [];
    if (diffIds.length !== entry.Layers.length) throw broken(`${entry.Config} names ${diffIds.length} layers, manifest.json ${entry.Layers.length}`);
    const layers = [];
    for (const [i, diffId] of diffIds.entries()) {
      let descriptor = known.get(diffId);
      let size: number | undefined;
      if (!descriptor || !store.hasBlob(descriptor.digest)) {
        const member = archive.get(entry.Layers[i]!);
        if (!member) throw broken(`layer ${entry.Layers[i]} is missing`);
        const encoded = encodeLayer(decompressStream(member.stream()), "gzip");
        const blob = await store.putBlob(encoded.stream);
        const done = await encoded.done;
        if (done.diffId !== diffId) {
          throw new StoreError("E_BLOB_DIGEST_MISMATCH", `layer ${entry.Layers[i]} has diff id ${done.diffId}, but its config says ${diffId}`);
        }
        descriptor = { mediaType: encoded.mediaType, digest: blob.digest, size: blob.size };
        size = done.uncompressedSize;
        known.set(diffId, descriptor);
      }
      layers.push({ descriptor, diffId, ...(size !== undefined ? { size } : {}) });
    }
    const refs = (entry.RepoTags ?? []).map(normalizeReference);
    const id = imageIdOf(configBytes);
    await announceRetag(store, refs, id, report);
    await store.commitImage({ config, configBytes, layers, tags: refs });
    reportLoaded(refs, id, report);
  }
}

/** The names an OCI index entry carries: containerd's full name, or a ref.name that is more than a bare tag. */
function refsOf(d: Descriptor): string[] {
  const full = d.annotations?.["io.containerd.image.name"];
  const refName = d.annotations?.[ANNOTATION_REF_NAME];
  const candidate = full ?? (refName && /[:/]/.test(refName) ? refName : undefined);
  if (!candidate) return [];
  try {
    return [normalizeReference(candidate)];
  } catch {
    return [];
  }
}

/** An OCI archive (index.json only): blobs are stored as they are, verified against their digests. */
async function loadOciArchive(store: Store, archive: ArchiveMembers, report: LoadReporter): Promise<void> {
  const index = await readJsonMember<ImageIndex>(archive, "index.json");
  const putMember = async (d: Descriptor): Promise<void> => {
    const member = archive.get(`blobs/sha256/${digestHex(d.digest)}`);
    if (!member) {
      if (store.hasBlob(d.digest)) return;
      throw broken(`blob ${d.digest} is missing`);
    }
    await store.putBlob(member.stream(), { digest: d.digest, size: d.size });
  };
  for (const top of index.manifests ?? []) {
    let desc = top;
    if (isIndexMediaType(desc.mediaType)) {
      await putMember(desc);
      desc = selectPlatform(await store.blobs.readJson<ImageIndex>(desc.digest), hostPlatform());
    }
    await putMember(desc);
    const manifest = await store.blobs.readJson<Manifest>(desc.digest);
    for (const d of [manifest.config, ...manifest.layers]) await putMember(d);
    const refs = refsOf(top);
    const id = imageIdOf(await store.blobs.read(manifest.config.digest));
    await announceRetag(store, refs, id, report);
    await store.addManifest(desc.digest, { tags: refs });
    reportLoaded(refs, id, report);
  }
}

/** The members of an archive: sliced from a plain tar file in place, spooled to `dir` otherwise. */
async function openArchive(input: ReadableStream<Uint8Array> | string, dir: string): Promise<ArchiveMembers> {
  if (typeof input === "string") {
    const head = new Uint8Array(await Bun.file(input).slice(0, 16).arrayBuffer());
    if (detectCompression(head) === "none") return indexTarFile(input);
    input = Bun.file(input).stream();
  }
  return spoolTar(decompressStream(input), dir);
}

/**
 * docker load: read an image archive (plain or compressed) from a file or a
 * stream. A stream is spooled to the store's tmp/ first, because its index
 * (manifest.json) may come last.
 */
export async function loadArchive(store: Store, input: ReadableStream<Uint8Array> | string, report: LoadReporter): Promise<void> {
  const dir = await store.tempDir("load");
  try {
    const archive = await openArchive(input, dir);
    if (archive.get("manifest.json")) await loadDockerArchive(store, archive, report);
    else if (archive.get("index.json")) await loadOciArchive(store, archive, report);
    else throw broken(archive.count === 0 ? "it is empty" : "it has neither manifest.json nor index.json");
  } finally {
    removeTree(dir);
  }
}
