import { formatPlatform, familiarName, parseReference } from "../../image/index.ts";
import { inspectRemote, RegistryContext } from "../../registry/index.ts";
import { registryArgs, registryOptions } from "./_registry-args.ts";
import { platformFlag } from "./_registry-store.ts";

/** Flags `kiln inspect` takes for --remote. */
export const remoteInspectArgs = {
  remote: { type: "boolean", description: "Inspect the image in its registry (manifest and config) without pulling it" },
  platform: { type: "string", valueHint: "os/arch[/variant]", description: "With --remote: the platform to show from a multi-platform image" },
  ...registryArgs,
} as const;

/**
 * `kiln inspect --remote REF…`: for each reference, what the registry holds
 * (the digest the reference names, the index when there is one, the
 * platform's manifest and its image config), fetched without touching the store.
 */
export async function inspectRemoteImages(names: string[], args: Record<string, unknown>): Promise<unknown[]> {
  const context = new RegistryContext(registryOptions(args));
  const platform = platformFlag(args.platform);
  const out: unknown[] = [];
  for (const name of names) {
    const r = await inspectRemote(parseReference(name), { ...context.opts, context, platform });
    out.push({
      Name: familiarName(parseReference(r.ref)),
      Ref: r.ref,
      Digest: r.digest,
      MediaType: r.mediaType,
      Platform: formatPlatform(r.config),
      ManifestDigest: r.manifestDigest,
      Created: r.config.created ?? "",
      Layers: r.manifest.layers.map((l) => l.digest),
      ...(r.index ? { Index: r.index } : {}),
      Manifest: r.manifest,
      Config: r.config,
    });
  }
  return out;
}
