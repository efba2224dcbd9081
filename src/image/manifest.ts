import { KilnError } from "../errors.ts";
import type { Digest } from "./digest.ts";

/** An OCI content descriptor. */
export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations?: Record<string, string>;
  platform?: Platform;
  urls?: string[];
}

export interface Platform {
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
}

/** An image manifest (OCI, or Docker v2 schema 2: same shape). */
export interface Manifest {
  schemaVersion: 2;
  mediaType?: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** An image index (OCI) or manifest list (Docker). */
export interface ImageIndex {
  schemaVersion: 2;
  mediaType?: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

/** The platform of this host, in OCI terms (kiln builds for it by default). */
export function hostPlatform(): Platform {
  const arch = ({ x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" } as Record<string, string>)[process.arch] ?? process.arch;
  return { os: "linux", architecture: arch, ...(arch === "arm64" ? { variant: "v8" } : {}) };
}

/** Parse "linux/amd64", "linux/arm64/v8", "linux/arm/v7". */
export function parsePlatform(s: string): Platform {
  const [os, architecture, variant, ...extra] = s.split("/");
  if (!os || !architecture || extra.length > 0) {
    throw new KilnError("E_PLATFORM", `invalid platform "${s}"`, { hint: "write it as os/arch[/variant], e.g. linux/amd64" });
  }
  return { os, architecture, ...(variant ? { variant } : {}) };
}

export function formatPlatform(p: Platform): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ""}`;
}

/** Does `candidate` satisfy `wanted`? A missing variant matches (arm64 defaults to v8). */
export function platformMatches(candidate: Platform, wanted: Platform): boolean {
  if (candidate.os !== wanted.os || candidate.architecture !== wanted.architecture) return false;
  if (!wanted.variant || !candidate.variant) return true;
  return candidate.variant === wanted.variant;
}

/** Pick the manifest for a platform from an index; a clear error lists what is there. */
export function selectPlatform(index: ImageIndex, wanted: Platform): Descriptor {
  const found = index.manifests.find((m) => m.platform && platformMatches(m.platform, wanted));
  if (found) return found;
  const have = index.manifests.map((m) => (m.platform ? formatPlatform(m.platform) : "unknown")).join(", ");
  throw new KilnError("E_PLATFORM", `no image for platform ${formatPlatform(wanted)} (the image has: ${have || "none"})`, {
    hint: "pass --platform to pick one the image has",
  });
}
