import type { Digest, ImageConfig, ImageIndex, Manifest, Platform, Reference } from "../image/index.ts";
import { hostPlatform, selectPlatform } from "../image/index.ts";
import { downloadBlob } from "./blob-download.ts";
import { referenceOf, RegistryContext } from "./context.ts";
import { getManifest, isIndex } from "./manifests.ts";
import type { RegistryOptions } from "./types.ts";

/** What `kiln inspect --remote` shows: the manifest (and index) and the config, nothing downloaded to the store. */
export interface RemoteImage {
  ref: string;
  /** Digest of what the reference names (an index for multi-platform images). */
  digest: Digest;
  mediaType: string;
  index?: ImageIndex;
  manifestDigest: Digest;
  manifest: Manifest;
  config: ImageConfig;
}

/** Fetch the manifest and config of a remote image for `platform` (default: this host's). */
export async function inspectRemote(input: string | Reference, opts: RegistryOptions & { platform?: Platform; context?: RegistryContext } = {}): Promise<RemoteImage> {
  const { ref, canonical } = referenceOf(input);
  const context = opts.context ?? new RegistryContext(opts);
  const repo = context.repositories(ref, "pull")[0]!;
  const top = await getManifest(repo.transport, repo.repository, ref.digest ?? ref.tag!);
  let index: ImageIndex | undefined;
  let fetched = top;
  if (isIndex(top)) {
    index = top.parsed;
    fetched = await getManifest(repo.transport, repo.repository, selectPlatform(top.parsed, opts.platform ?? hostPlatform()).digest);
  }
  const manifest = fetched.parsed as Manifest;
  const config = (await new Response(downloadBlob(repo.transport, repo.repository, manifest.config)).json()) as ImageConfig;
  return { ref: canonical, digest: top.digest, mediaType: top.mediaType, index, manifestDigest: fetched.digest, manifest, config };
}
