import { formatReference, parseReference, type Reference } from "../image/index.ts";
import { loadRegistriesConfig, registriesConfigPath, resolveEndpoints, type RegistryEntry } from "./registries-config.ts";
import { RegistryTransport } from "./transport.ts";
import type { RegistryOptions } from "./types.ts";

/** A repository on one registry, reached through its transport. */
export interface RepositoryHandle {
  transport: RegistryTransport;
  registry: string;
  repository: string;
  mirror: boolean;
}

/**
 * One set of options and the transports made from them, shared by every
 * pull and push of a command (or of a whole build), so that each registry
 * is pinged once and its tokens are reused.
 */
export class RegistryContext {
  private readonly transports = new Map<string, RegistryTransport>();
  private entries?: RegistryEntry[];

  constructor(readonly opts: RegistryOptions = {}) {}

  /** The transport for a registry host (created once). */
  transport(registry: string, insecure = false): RegistryTransport {
    const key = `${registry}|${insecure}`;
    let t = this.transports.get(key);
    if (!t) {
      t = new RegistryTransport(registry, { ...this.opts, insecure });
      this.transports.set(key, t);
    }
    return t;
  }

  /** Where to pull `ref` from (mirrors first) or push it to, after the rewrites of registries.json. */
  repositories(ref: Reference, purpose: "pull" | "push"): RepositoryHandle[] {
    this.entries ??= loadRegistriesConfig(registriesConfigPath(this.opts.registriesConfig));
    return resolveEndpoints(this.entries, ref.domain, ref.path, purpose).map((e) => ({
      transport: this.transport(e.registry, e.insecure),
      registry: e.registry,
      repository: e.repository,
      mirror: e.mirror,
    }));
  }
}

/** A reference from a string or an already parsed one, with its canonical text. */
export function referenceOf(input: string | Reference): { ref: Reference; canonical: string } {
  const ref = typeof input === "string" ? parseReference(input) : input;
  return { ref, canonical: formatReference(ref) };
}

/** Run `fn` over `items` with at most `limit` running at once; stops starting new ones after a failure. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        out[i] = await fn(items[i]!, i);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  if (failed) throw failed.err;
  return out;
}
