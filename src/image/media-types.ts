// Media types as the OCI image spec and Docker's v2 schema 2 spell them.

export const MEDIA_TYPE_OCI_INDEX = "application/vnd.oci.image.index.v1+json";
export const MEDIA_TYPE_OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
export const MEDIA_TYPE_OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
export const MEDIA_TYPE_OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
export const MEDIA_TYPE_OCI_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
export const MEDIA_TYPE_OCI_LAYER_ZSTD = "application/vnd.oci.image.layer.v1.tar+zstd";
export const MEDIA_TYPE_OCI_EMPTY = "application/vnd.oci.empty.v1+json";

export const MEDIA_TYPE_DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
export const MEDIA_TYPE_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
export const MEDIA_TYPE_DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json";
export const MEDIA_TYPE_DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar";
export const MEDIA_TYPE_DOCKER_LAYER_GZIP = "application/vnd.docker.image.rootfs.diff.tar.gzip";
export const MEDIA_TYPE_DOCKER_FOREIGN_LAYER_GZIP = "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip";

/** OCI image layout annotation that names a manifest in index.json. */
export const ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name";

export type LayerCompression = "gzip" | "zstd" | "none";

/** Compression of a layer blob, from its media type (OCI or Docker). */
export function compressionOfLayer(mediaType: string): LayerCompression {
  if (mediaType.endsWith("+gzip") || mediaType.endsWith(".tar.gzip")) return "gzip";
  if (mediaType.endsWith("+zstd")) return "zstd";
  return "none";
}

/** The OCI layer media type for a compression. */
export function ociLayerMediaType(compression: LayerCompression): string {
  return compression === "gzip" ? MEDIA_TYPE_OCI_LAYER_GZIP : compression === "zstd" ? MEDIA_TYPE_OCI_LAYER_ZSTD : MEDIA_TYPE_OCI_LAYER;
}

export function isIndexMediaType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPE_OCI_INDEX || mediaType === MEDIA_TYPE_DOCKER_MANIFEST_LIST;
}

export function isManifestMediaType(mediaType: string | undefined): boolean {
  return mediaType === MEDIA_TYPE_OCI_MANIFEST || mediaType === MEDIA_TYPE_DOCKER_MANIFEST;
}
