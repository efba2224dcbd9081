// Build layers are stored uncompressed (README "Layers": compressing them cost
// a large COPY more time than the copy itself); what goes to a registry is
// gzip, as Docker's and Buildah's pushes send it. The first push (or
// --cache-to export) of an image converts it in the store: each uncompressed
// layer is compressed into a new blob and the image gets a manifest naming
// those blobs, registered under the same id and tags (the config, and so the
// id, the diff ids and the snapshots, do not change). Later pushes find it
// converted and send it as it is: nothing is compressed twice, and the remote
// manifest is the local one. The uncompressed blobs stay while another image
// (the build's intermediate steps) names them; prune removes them otherwise.
import {
  MEDIA_TYPE_DOCKER_LAYER,
  MEDIA_TYPE_DOCKER_LAYER_GZIP,
  MEDIA_TYPE_OCI_LAYER,
  MEDIA_TYPE_OCI_LAYER_GZIP,
  type Descriptor,
  type Digest,
  type Manifest,
} from "../../image/index.ts";
import { gzipParallel } from "../../layer/index.ts";
import type { ImageRecord, Store } from "../../store/index.ts";

/** The gzip media type of an uncompressed layer media type kiln can compress; undefined for any other layer. */
function gzipMediaType(mediaType: string): string | undefined {
  if (mediaType === MEDIA_TYPE_OCI_LAYER) return MEDIA_TYPE_OCI_LAYER_GZIP;
  if (mediaType === MEDIA_TYPE_DOCKER_LAYER) return MEDIA_TYPE_DOCKER_LAYER_GZIP;
  return undefined;
}

/**
 * gzip level for pushed layers: KILN_GZIP_LEVEL (1-9), else 1, the level build
 * layers had when they were stored compressed (7% more bytes than -6 on the
 * bench tree, a second less per 170 MiB on two cores). The output for one
 * layer and level is always the same bytes (gzipParallel), so the same layer
 * pushed from two machines has one digest.
 */
function pushGzipLevel(): number {
  return gzipLevelFromEnv() ?? 1;
}

/** KILN_GZIP_LEVEL when it is a level (1-9), else undefined: for pushed layers and for builds that store gzip layers. */
export function gzipLevelFromEnv(): number | undefined {
  const v = process.env.KILN_GZIP_LEVEL ?? "";
  return /^[1-9]$/.test(v) ? Number(v) : undefined;
}

/**
 * Uncompressed layer digest → its gzip blob, for the images of one command:
 * a build's cache export converts every step image, and step k shares its
 * first k layers with every later step (and with the pushed image), so
 * without it layer k would be compressed and fsynced once per later step.
 * gzipParallel's output is fixed for a level, so the remembered blob is the
 * one compressing again would write.
 */
export type CompressedLayers = Map<Digest, { digest: Digest; size: number }>;

/** `image` with every uncompressed layer gzip-compressed (converted in the store on first use). */
export async function withCompressedLayers(store: Store, image: ImageRecord, compressed: CompressedLayers = new Map()): Promise<ImageRecord> {
  if (!image.manifest.layers.some((l) => gzipMediaType(l.mediaType))) return image;
  const level = pushGzipLevel();
  const layers: Descriptor[] = [];
  for (const layer of image.manifest.layers) {
    const mediaType = gzipMediaType(layer.mediaType);
    if (!mediaType) {
      layers.push(layer);
      continue;
    }
    let blob = compressed.get(layer.digest);
    if (!blob || !store.hasBlob(blob.digest)) {
      // openBlob verifies the uncompressed bytes against their digest as they stream.
      blob = await store.putBlob(gzipParallel(store.openBlob(layer.digest), { level }));
      compressed.set(layer.digest, blob);
    }
    layers.push({ ...layer, mediaType, digest: blob.digest, size: blob.size });
  }
  const manifest: Manifest = { ...image.manifest, layers };
  const written = await store.putBlob(JSON.stringify(manifest));
  return store.addManifest(written.digest, { tags: image.names, ...(image.parent ? { parent: image.parent } : {}) });
}
