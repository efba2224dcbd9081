import { RegistryError } from "../errors.ts";
import {
  isDigest,
  isIndexMediaType,
  MEDIA_TYPE_DOCKER_MANIFEST,
  MEDIA_TYPE_DOCKER_MANIFEST_LIST,
  MEDIA_TYPE_OCI_INDEX,
  MEDIA_TYPE_OCI_MANIFEST,
  type Digest,
  type ImageIndex,
  type Manifest,
} from "../image/index.ts";
import { sha256 } from "../util/digest.ts";
import { repositoryScope } from "./challenge.ts";
import type { RegistryTransport } from "./transport.ts";

/** Everything kiln can read, best first (the registry picks; an index lets kiln pick the platform). */
export const MANIFEST_ACCEPT = [MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_DOCKER_MANIFEST_LIST, MEDIA_TYPE_OCI_MANIFEST, MEDIA_TYPE_DOCKER_MANIFEST].join(", ");

/** Manifests are small; anything bigger is refused rather than read into memory. */
const MAX_MANIFEST_BYTES = 4 << 20;

export interface ManifestHead {
  digest: Digest;
  mediaType: string;
  size: number;
}

export interface FetchedManifest extends ManifestHead {
  bytes: Uint8Array;
  parsed: Manifest | ImageIndex;
}

/** HEAD a manifest: its digest and media type without the body; undefined when the registry gives no digest. */
export async function headManifest(t: RegistryTransport, repository: string, reference: string): Promise<ManifestHead | undefined> {
  const res = await t.expect(
    { method: "HEAD", path: `/v2/${repository}/manifests/${reference}`, headers: { accept: MANIFEST_ACCEPT }, scopes: [repositoryScope(repository, ["pull"])] },
    [200],
    { what: `manifest ${repository}:${reference}` },
  );
  const digest = res.headers.get("docker-content-digest") ?? "";
  if (!isDigest(digest)) return undefined;
  return { digest, mediaType: res.headers.get("content-type") ?? "", size: Number(res.headers.get("content-length") ?? 0) };
}

/**
 * GET a manifest or index and check it: by digest the bytes must hash to it;
 * by tag they must match the digest the registry announces.
 */
export async function getManifest(t: RegistryTransport, repository: string, reference: string): Promise<FetchedManifest> {
  const what = `manifest ${repository}${isDigest(reference) ? "@" : ":"}${reference}`;
  const res = await t.expect(
    { path: `/v2/${repository}/manifests/${reference}`, headers: { accept: MANIFEST_ACCEPT }, scopes: [repositoryScope(repository, ["pull"])] },
    [200],
    { what },
  );
  const declared = Number(res.headers.get("content-length") ?? 0);
  if (declared > MAX_MANIFEST_BYTES) throw new RegistryError("E_REGISTRY", `${t.registry}: ${what} is ${declared} bytes, too big for a manifest`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  const digest = sha256(bytes);
  const expected = isDigest(reference) ? reference : res.headers.get("docker-content-digest");
  if (expected && expected !== digest) {
    throw new RegistryError("E_BLOB_DIGEST_MISMATCH", `${t.registry}: ${what} has digest ${digest}, expected ${expected}`, {
      hint: "the registry (or something between) altered the manifest; retry, and report it to the registry's operator if it persists",
    });
  }
  let parsed: Manifest | ImageIndex;
  try {
    parsed = JSON.parse(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new RegistryError("E_REGISTRY", `${t.registry}: ${what} is not valid JSON`, { cause: err });
  }
  const mediaType = parsed.mediaType ?? res.headers.get("content-type")?.split(";")[0] ?? "";
  if (parsed.schemaVersion !== 2) {
    throw new RegistryError("E_REGISTRY", `${t.registry}: ${what} has schema version ${String(parsed.schemaVersion)}, kiln reads only version 2`, {
      hint: "push the image again with a current client (Docker v2 schema 1 is deprecated)",
    });
  }
  return { digest, mediaType: mediaType || (isIndexLike(parsed) ? MEDIA_TYPE_OCI_INDEX : MEDIA_TYPE_OCI_MANIFEST), size: bytes.byteLength, bytes, parsed };
}

function isIndexLike(m: Manifest | ImageIndex): m is ImageIndex {
  return Array.isArray((m as ImageIndex).manifests);
}

/** Is a fetched manifest an index (OCI index or Docker manifest list)? */
export function isIndex(m: FetchedManifest): m is FetchedManifest & { parsed: ImageIndex } {
  return isIndexMediaType(m.mediaType) || isIndexLike(m.parsed);
}

/** PUT a manifest (by tag or digest); returns the digest the registry stored it under. */
export async function putManifest(t: RegistryTransport, repository: string, reference: string, bytes: Uint8Array, mediaType: string): Promise<Digest> {
  const res = await t.expect(
    {
      method: "PUT",
      path: `/v2/${repository}/manifests/${reference}`,
      headers: { "content-type": mediaType },
      body: bytes,
      scopes: [repositoryScope(repository, ["pull", "push"])],
    },
    [200, 201, 202],
    { what: `manifest ${repository}:${reference}` },
  );
  await res.arrayBuffer().catch(() => undefined);
  const digest = sha256(bytes);
  const announced = res.headers.get("docker-content-digest");
  if (announced && announced !== digest) {
    throw new RegistryError("E_BLOB_DIGEST_MISMATCH", `${t.registry}: stored manifest under ${announced}, kiln computed ${digest}`);
  }
  return digest;
}

/** The media type to send a manifest with: its own field, else Docker's when the layers are Docker's. */
export function manifestMediaTypeOf(manifest: Manifest | ImageIndex): string {
  if (manifest.mediaType) return manifest.mediaType;
  if ("manifests" in manifest) return MEDIA_TYPE_OCI_INDEX;
  return manifest.config.mediaType.startsWith("application/vnd.docker.") ? MEDIA_TYPE_DOCKER_MANIFEST : MEDIA_TYPE_OCI_MANIFEST;
}

