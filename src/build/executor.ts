/**
 * The side effects of a build, behind one interface (P3, after
 * openshift/imagebuilder's Executor): the dispatcher decides what a step means
 * and what its cache key is; an Executor resolves images, runs containers,
 * copies files and commits images. The real one (real-executor.ts) uses the
 * sandbox, the layer codec and the store; tests use a recording fake.
 */
import type { ContainerConfig, Descriptor, Digest, HistoryEntry, ImageConfig, Platform } from "../image/index.ts";
import type { CopyItem, ModeSpec } from "../layer/index.ts";
import type { ImageRecord } from "../store/index.ts";
import type { CopySelect } from "./copy-select.ts";

/** A layer a step produced (absent when the step changed nothing: Docker's empty layer). */
export interface StepLayer {
  descriptor: Descriptor;
  diffId: Digest;
  size: number;
}

/** A host path bind-mounted into a RUN container. */
export type HostMount = { source: string; target: string; readonly?: boolean };

/** Where the output of a container goes. */
type OutputMode = "inherit" | "capture";

export interface RunRequest {
  argv: string[];
  env: string[];
  cwd: string;
  user: string;
  network: "host" | "none";
  extraHosts: { host: string; ip: string }[];
  mounts: HostMount[];
  /** The image's VOLUMEs: Docker keeps RUN's changes under them out of the image. */
  volumes: string[];
  /** RUN --security=insecure (allowed by --allow security.insecure): every capability, no masked /proc paths. */
  privileged?: boolean;
  output: OutputMode;
  /** Called with the container id before it starts (` ---> Running in …`). */
  onStart(id: string): void;
}

export interface RunResult {
  exitCode: number;
  /** Captured output (output: "capture"), interleaving not kept: stdout then stderr. */
  stdout?: string;
  stderr?: string;
  layer?: StepLayer;
  containerId: string;
}

export interface CopyRequest {
  cmd: "COPY" | "ADD";
  /** Normalised destination (absolute, trailing "/" kept). */
  dest: string;
  /** The destination as written (several sources need it to end in "/"). */
  rawDest: string;
  chown?: string;
  chmod?: ModeSpec;
  /** Sources resolved on the host (context files, downloads). */
  items?: CopyItem[];
  /** ADD: per item, unpack it when it is a local archive. */
  extract?: boolean[];
  /** COPY --parents: per item, the directory below `dest` it goes into (null: `dest` itself, as usual). */
  at?: (string | null)[];
  /** COPY --parents / --exclude, for the --from sources planned inside the copy op. */
  select?: CopySelect;
  /** COPY --from: the image whose root holds the sources, and the source paths to resolve in it. */
  from?: { image: ImageRecord; sources: string[]; description: string };
  /** The same COPY ran before with other sources: its cache key, and which context files changed since (step-copy-reuse.ts). */
  reuse?: { key: string; contextDir: string; changed: string[] };
}

export interface CopyResult {
  layer?: StepLayer;
  /** For --from: Docker's hash of each source, computed where the sources are mounted. */
  hashes?: string[];
}

export interface CommitRequest {
  parent: ImageRecord | undefined;
  platform: Platform;
  config: ContainerConfig;
  history: HistoryEntry;
  author?: string;
  layer?: StepLayer;
  created: string;
}

/** What FROM needs of a base image before any step misses the cache (Store.findImageConfig answers it). */
export interface BaseImage {
  id: Digest;
  config: ImageConfig;
}

export interface Executor {
  /** An image from the store by name, id or digest (its id and config); undefined when it is not there. */
  findImage(ref: string): Promise<BaseImage | undefined>;
  getImage(id: Digest): Promise<ImageRecord>;
  /** Fetch an image from its registry (undefined when this kiln cannot pull). */
  pull?(ref: string, platform: Platform): Promise<ImageRecord>;
  cacheGet(key: string): Digest | undefined;
  cachePut(key: string, id: Digest): void;
  run(parent: ImageRecord | undefined, req: RunRequest): Promise<RunResult>;
  copy(parent: ImageRecord | undefined, req: CopyRequest): Promise<CopyResult>;
  /** RUN --mount from a stage or image: a host copy of `source` in it (a dir under `into`); returns its path. */
  exportTree(image: ImageRecord, source: string, into: string): Promise<string>;
  /** WORKDIR: create the directory (root, 0755) if the image lacks it. */
  mkdir(parent: ImageRecord | undefined, path: string): Promise<StepLayer | undefined>;
  commit(req: CommitRequest): Promise<ImageRecord>;
  /** Tag the final image. */
  tag(id: Digest, name: string): Promise<void>;
}

/** The image config a commit writes: parent's layers and history plus this step's. */
export function childImageConfig(req: CommitRequest): ImageConfig {
  const parent = req.parent?.config;
  return {
    architecture: req.platform.architecture,
    os: req.platform.os,
    ...(req.platform.variant ? { variant: req.platform.variant } : {}),
    created: req.created,
    ...(req.author ? { author: req.author } : {}),
    config: req.config,
    rootfs: { type: "layers", diff_ids: [...(req.parent?.diffIds ?? []), ...(req.layer ? [req.layer.diffId] : [])] },
    history: [...(parent?.history ?? []), req.history],
  };
}
