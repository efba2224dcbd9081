import type { Descriptor, Digest, ImageConfig, Manifest, Platform } from "../image/index.ts";

/** Where a blob is known to live: a registry host and a repository in it (for cross-repository mounts). */
export interface BlobLocation {
  registry: string;
  repository: string;
}

/**
 * What a pull writes into. The CLI adapts kiln's Store to it; tests use a
 * temp dir. Blobs are verified by the sink (digest and size) as they are written.
 */
export interface ImageSink {
  hasBlob(digest: Digest): boolean;
  /** Write a blob; must throw (and keep nothing) when the bytes do not match `expect`. */
  putBlob(data: ReadableStream<Uint8Array> | Uint8Array, expect: { digest: Digest; size: number }): Promise<unknown>;
  /**
   * Is the local image tagged `ref` the one `remoteDigest` names for
   * `platform`? (remoteDigest is a manifest's digest or an index's, whose
   * bytes the pull stored as a blob.) The record when it is, else undefined.
   */
  pulled(ref: string, platform: string, remoteDigest: Digest): Promise<PulledRecord | undefined>;
  /** All blobs are in: record the image under `ref` (its manifest and config bytes are already blobs). */
  commitPulled(image: PulledImage): Promise<void>;
  /** Remember that `digest` can be found at `location` (used to mount instead of upload on push). */
  recordBlobLocation?(digest: Digest, location: BlobLocation): void;
  /** Remember that `ref`'s repository names image `id` by the registry's digest (docker's RepoDigests), after every pull. */
  recordRepoDigest?(ref: string, digest: Digest, id: Digest): void;
}

/** A local image that is what a remote digest names. */
export interface PulledRecord {
  remoteDigest: Digest;
  manifestDigest: Digest;
  /** Image id (config digest). */
  id: Digest;
}

/** A complete pulled image, as handed to ImageSink.commitPulled. */
export interface PulledImage {
  /** Canonical reference the user asked for (docker.io/library/alpine:latest). */
  ref: string;
  platform: string;
  /** The digest the registry gave for the reference (an index's digest when it was an index). */
  remoteDigest: Digest;
  manifest: Manifest;
  manifestBytes: Uint8Array;
  manifestDigest: Digest;
  config: ImageConfig;
  configBytes: Uint8Array;
  /** manifest.layers with their diff ids (from config.rootfs.diff_ids). */
  layers: { descriptor: Descriptor; diffId: Digest }[];
}

/** What a push reads from: one image's manifest, config and layer blobs. */
export interface ImageSource {
  manifestBytes: Uint8Array;
  manifestMediaType: string;
  manifest: Manifest;
  /** A blob's bytes; a Bun.file (a Blob) lets fetch send it without copying. */
  blob(digest: Digest): Blob;
  /** Places in registries where the blob is known to exist already. */
  blobLocations?(digest: Digest): BlobLocation[];
  /** Remember where a pushed blob now lives. */
  recordBlobLocation?(digest: Digest, location: BlobLocation): void;
  /** Remember the digest the registry gave the pushed manifest under `ref`'s repository (docker's RepoDigests). */
  recordRepoDigest?(ref: string, digest: Digest): void;
}

/** One step of a blob transfer, for progress display (rendered by the CLI). */
export type TransferEvent =
  | { kind: "waiting"; id: string; digest: Digest; size: number }
  | { kind: "progress"; id: string; current: number; total: number; action: "Downloading" | "Pushing" }
  | { kind: "retry"; id: string; attempt: number; reason: string }
  | { kind: "done"; id: string; status: string };

export type ProgressSink = (event: TransferEvent) => void;

/** The part of a logger the registry client uses (cli/logger.ts's consola fits). */
export interface RegistryLogger {
  debug(message: string): void;
  warn?(message: string): void;
}

/** Transport options shared by pull, push, login and inspect. */
export interface RegistryOptions {
  /** false: accept any certificate and allow plain HTTP (like --tls-verify=false). */
  tlsVerify?: boolean;
  /** Directory with ca.crt (and client.cert/client.key) instead of /etc/docker/certs.d/HOST. */
  certDir?: string;
  /** Root of per-host cert dirs (default /etc/docker/certs.d). */
  certsD?: string;
  /** Docker-style auth file (default: $REGISTRY_AUTH_FILE, $DOCKER_CONFIG/config.json, ~/.docker/config.json). */
  authFile?: string;
  /** Explicit credentials, overriding the auth file. */
  credentials?: { username: string; password: string };
  /** Mirrors and rewrites file (default: $XDG_CONFIG_HOME/kiln/registries.json, /etc/kiln/registries.json). */
  registriesConfig?: string;
  logger?: RegistryLogger;
  progress?: ProgressSink;
  /** Parallel blob transfers (default 3). */
  concurrency?: number;
  /** Retries of an interrupted transfer (default 4). */
  retries?: number;
  /** Base delay of the exponential backoff in ms (default 250). */
  backoffMs?: number;
  /** Clock for token expiry (tests). */
  now?: () => number;
}

export interface PullOptions extends RegistryOptions {
  platform?: Platform;
}

export interface PushResult {
  ref: string;
  tag?: string;
  digest: Digest;
  size: number;
}
