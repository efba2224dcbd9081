import { KilnError, RegistryError } from "../errors.ts";
import {
  formatPlatform,
  hostPlatform,
  platformMatches,
  selectPlatform,
  shortId,
  type Descriptor,
  type Digest,
  type ImageConfig,
  type Manifest,
  type Reference,
} from "../image/index.ts";
import { sha256 } from "../util/digest.ts";
import { downloadBlob } from "./blob-download.ts";
import { mapLimit, referenceOf, RegistryContext, type RepositoryHandle } from "./context.ts";
import { getManifest, headManifest, isIndex, type FetchedManifest } from "./manifests.ts";
import { isNotFound } from "./response-error.ts";
import { isConnectionError } from "./transport.ts";
import type { ImageSink, PullOptions } from "./types.ts";

export interface PullResult {
  ref: string;
  /** What the registry calls the reference (an index digest for multi-platform images). */
  remoteDigest: Digest;
  manifestDigest: Digest;
  /** Image id: the config's digest. */
  id: Digest;
  /** Nothing was downloaded: the local image already is the remote one. */
  upToDate: boolean;
  /** The registry and repository the image came from (a mirror, maybe). */
  source: string;
}

const MAX_CONFIG_BYTES = 32 << 20;

/** Resolve the reference to one image manifest for the platform (following an index, which is returned too). */
async function resolveManifest(repo: RepositoryHandle, reference: string, wanted: PullOptions["platform"]): Promise<{ top: FetchedManifest; image: FetchedManifest }> {
  const top = await getManifest(repo.transport, repo.repository, reference);
  if (!isIndex(top)) return { top, image: top };
  const platform = wanted ?? hostPlatform();
  let picked: Descriptor;
  try {
    picked = selectPlatform(top.parsed, platform);
  } catch (err) {
    const name = `${repo.registry}/${repo.repository}`;
    throw new KilnError("E_PLATFORM", `${name}: ${(err as Error).message}`, { hint: (err as KilnError).hint });
  }
  return { top, image: await getManifest(repo.transport, repo.repository, picked.digest) };
}

/** Download the config into memory (it is small) and check its digest. */
async function fetchConfig(repo: RepositoryHandle, desc: Descriptor, opts: PullOptions): Promise<Uint8Array> {
  if (desc.size > MAX_CONFIG_BYTES) throw new RegistryError("E_REGISTRY", `${repo.registry}: image config of ${desc.size} bytes is too big`);
  const bytes = new Uint8Array(await new Response(downloadBlob(repo.transport, repo.repository, desc, opts)).arrayBuffer());
  const got = sha256(bytes);
  if (got !== desc.digest) {
    throw new RegistryError("E_BLOB_DIGEST_MISMATCH", `${repo.registry}/${repo.repository}: image config has digest ${got}, expected ${desc.digest}`, {
      hint: "the registry serves corrupt content; nothing was stored",
    });
  }
  return bytes;
}

/** Store one layer unless the sink has it; the sink verifies digest and size as it writes. */
async function pullLayer(repo: RepositoryHandle, desc: Descriptor, sink: ImageSink, opts: PullOptions): Promise<void> {
  const id = shortId(desc.digest);
  if (sink.hasBlob(desc.digest)) {
    opts.progress?.({ kind: "done", id, status: "Already exists" });
    return;
  }
  const stream = downloadBlob(repo.transport, repo.repository, desc, {
    retries: opts.retries,
    backoffMs: opts.backoffMs,
    onProgress: (current) => opts.progress?.({ kind: "progress", id, current, total: desc.size, action: "Downloading" }),
    onRetry: (attempt, reason) => opts.progress?.({ kind: "retry", id, attempt, reason }),
  });
  try {
    await sink.putBlob(stream, { digest: desc.digest, size: desc.size });
  } catch (err) {
    if (err instanceof KilnError && err.code === "E_BLOB_DIGEST_MISMATCH" && !(err instanceof RegistryError)) {
      throw new RegistryError("E_BLOB_DIGEST_MISMATCH", `${repo.registry}/${repo.repository}: layer ${desc.digest} failed verification: ${err.message}`, {
        cause: err,
        hint: "the registry serves corrupt content; the store kept nothing of this layer",
      });
    }
    throw err;
  }
  opts.progress?.({ kind: "done", id, status: "Pull complete" });
}

/** Pull from one place (registry or mirror). */
async function pullFrom(repo: RepositoryHandle, ref: Reference, canonical: string, sink: ImageSink, opts: PullOptions & { onLayer?: (layer: Descriptor) => void }): Promise<PullResult> {
  const platform = formatPlatform(opts.platform ?? hostPlatform());
  const source = `${repo.registry}/${repo.repository}`;
  // One manifest request when the image is already here: HEAD, compare digests.
  const remote = ref.digest ?? (await headManifest(repo.transport, repo.repository, ref.tag!))?.digest;
  const local = remote ? await sink.pulled(canonical, platform, remote) : undefined;
  if (local) {
    sink.recordRepoDigest?.(canonical, remote!, local.id);
    return { ref: canonical, remoteDigest: remote!, manifestDigest: local.manifestDigest, id: local.id, upToDate: true, source };
  }
  const { top, image: fetched } = await resolveManifest(repo, remote ?? ref.tag!, opts.platform);
  const manifest = fetched.parsed as Manifest;
  if (!manifest.config || !Array.isArray(manifest.layers)) {
    throw new RegistryError("E_REGISTRY", `${source}: ${fetched.mediaType || "manifest"} is not an image manifest`, { hint: "kiln pulls container images only" });
  }
  const configBytes = await fetchConfig(repo, manifest.config, opts);
  const config = JSON.parse(new TextDecoder().decode(configBytes)) as ImageConfig;
  const wanted = opts.platform;
  if (!platformMatches({ os: config.os, architecture: config.architecture, variant: config.variant }, wanted ?? hostPlatform())) {
    // Like docker: an explicit --platform must match; otherwise a single-platform image for another platform is pulled with a warning.
    if (wanted) throw new KilnError("E_PLATFORM", `${source}: the image is ${formatPlatform(config)}, not ${formatPlatform(wanted)}`, { hint: "pull without --platform, or name an image built for that platform" });
    opts.logger?.warn?.(`${source}: the image's platform (${formatPlatform(config)}) does not match this host's (${platform})`);
  }
  const diffIds = config.rootfs?.diff_ids ?? [];
  if (diffIds.length !== manifest.layers.length) {
    throw new RegistryError("E_REGISTRY", `${source}: the manifest has ${manifest.layers.length} layers but the config ${diffIds.length} diff ids`);
  }
  for (const l of manifest.layers) opts.progress?.({ kind: "waiting", id: shortId(l.digest), digest: l.digest, size: l.size });
  await mapLimit(manifest.layers, opts.concurrency ?? 3, async (layer) => {
    await pullLayer(repo, layer, sink, opts);
    sink.recordBlobLocation?.(layer.digest, { registry: repo.registry, repository: repo.repository });
    opts.onLayer?.(layer);
  });
  if (!sink.hasBlob(manifest.config.digest)) await sink.putBlob(configBytes, { digest: manifest.config.digest, size: configBytes.byteLength });
  sink.recordBlobLocation?.(manifest.config.digest, { registry: repo.registry, repository: repo.repository });
  // The index too: it lets the next pull see that the image is up to date from the index digest alone.
  for (const m of top === fetched ? [fetched] : [fetched, top]) {
    if (!sink.hasBlob(m.digest)) await sink.putBlob(m.bytes, { digest: m.digest, size: m.size });
  }
  await sink.commitPulled({
    ref: canonical,
    platform,
    remoteDigest: remote ?? top.digest,
    manifest,
    manifestBytes: fetched.bytes,
    manifestDigest: fetched.digest,
    config,
    configBytes,
    layers: manifest.layers.map((descriptor, i) => ({ descriptor, diffId: diffIds[i]! })),
  });
  sink.recordRepoDigest?.(canonical, remote ?? top.digest, manifest.config.digest);
  return { ref: canonical, remoteDigest: remote ?? top.digest, manifestDigest: fetched.digest, id: manifest.config.digest, upToDate: false, source };
}

/**
 * Pull an image into `sink`: resolve the reference (mirrors first, from
 * registries.json), pick the platform from an index, fetch config and layers
 * (at most `concurrency` at once, resuming broken downloads), skip blobs the
 * sink has, and commit. An image that is already here costs one HEAD.
 * `onLayer` is called as each layer lands, so that it can be unpacked early.
 */
export async function pullImage(input: string | Reference, sink: ImageSink, opts: PullOptions & { context?: RegistryContext; onLayer?: (layer: Descriptor) => void } = {}): Promise<PullResult> {
  const { ref, canonical } = referenceOf(input);
  const context = opts.context ?? new RegistryContext(opts);
  const repos = context.repositories(ref, "pull");
  let lastError: unknown;
  for (const repo of repos) {
    try {
      return await pullFrom(repo, ref, canonical, sink, opts);
    } catch (err) {
      // A mirror that is down or lacks the image falls through to the next place; the last error counts.
      const fallThrough = repo.mirror && (isConnectionError(err) || isNotFound(err));
      if (!fallThrough) throw err;
      opts.logger?.warn?.(`mirror ${repo.registry} failed (${(err as Error).message}); trying the next`);
      lastError = err;
    }
  }
  throw lastError;
}
