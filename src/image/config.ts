import { sha256 } from "../util/digest.ts";
import type { Digest } from "./digest.ts";

/** A history entry of an image config (OCI image spec, "history"). */
export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** HEALTHCHECK as Docker stores it (durations in nanoseconds). */
export interface HealthConfig {
  Test?: string[];
  Interval?: number;
  Timeout?: number;
  StartPeriod?: number;
  StartInterval?: number;
  Retries?: number;
}

/** The runtime part of an image config. Docker-only fields are kept, as Docker writes them. */
export interface ContainerConfig {
  User?: string;
  ExposedPorts?: Record<string, object>;
  Env?: string[];
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  Volumes?: Record<string, object>;
  WorkingDir?: string;
  Labels?: Record<string, string>;
  StopSignal?: string;
  ArgsEscaped?: boolean;
  /** Docker extensions, absent from OCI. */
  Healthcheck?: HealthConfig;
  OnBuild?: string[] | null;
  Shell?: string[];
}

/** An image config (application/vnd.oci.image.config.v1+json). */
export interface ImageConfig {
  created?: string;
  author?: string;
  architecture: string;
  os: string;
  variant?: string;
  "os.version"?: string;
  config?: ContainerConfig;
  rootfs: { type: "layers"; diff_ids: Digest[] };
  history?: HistoryEntry[];
}

/**
 * The canonical bytes of a config. The image id is the digest of exactly these
 * bytes, so every writer must go through here (stable key order as written,
 * no trailing newline, like Docker and containerd).
 */
export function serializeConfig(config: ImageConfig): string {
  return JSON.stringify(config);
}

/** Image id = sha256 of the serialized config. */
export function imageIdOf(configBytes: string | Uint8Array): Digest {
  return sha256(configBytes);
}

/**
 * Chain ids of a layer stack (OCI image spec): ChainID(L0) = DiffID(L0),
 * ChainID(Ln) = sha256(ChainID(Ln-1) + " " + DiffID(Ln)). Snapshots are keyed by these.
 */
export function chainIds(diffIds: Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const diffId of diffIds) {
    const prev = out[out.length - 1];
    out.push(prev === undefined ? diffId : sha256(`${prev} ${diffId}`));
  }
  return out;
}

/** Digest of an empty tar (1024 zero bytes): the diff id Docker gives a step that changed nothing. */
export const EMPTY_LAYER_DIFF_ID: Digest = "sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef";
