/**
 * The Executor that does it for real: every filesystem step is a temporary
 * container (sandbox) over the parent's snapshots with a fresh upper dir in
 * the store's temp area; when the step succeeds the upper dir is streamed as
 * an OCI layer (diff → compress → blob in one pass) and then renamed into
 * place as the new layer's snapshot, so nothing is ever re-extracted. A step
 * that changed nothing gets no layer (Docker's `empty_layer`).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { BuildError, KilnError } from "../errors.ts";
import { chainIds, EMPTY_LAYER_DIFF_ID, MEDIA_TYPE_OCI_LAYER, MEDIA_TYPE_OCI_LAYER_GZIP, type Digest, type Platform } from "../image/index.ts";
import { applyVolumeRules, diffUpperDir, encodeLayer, gzipParallel, missingInLowers, type LayerCompression } from "../layer/index.ts";
import { runContainer, type ContainerSpec, type Ulimit } from "../sandbox/index.ts";
import { removeTree, type ImageRecord, type Store } from "../store/index.ts";
import { overlayXattrNamespace } from "../util/userns.ts";
import { childImageConfig, type BaseImage, type CommitRequest, type CopyRequest, type CopyResult, type Executor, type HostMount, type RunRequest, type RunResult, type StepLayer } from "./executor.ts";
import { COPY_OP, EXPORT_OP, MKDIR_OP, type CopyOpPayload } from "./ops.ts";

export interface RealExecutorOptions {
  /** How build layers are stored: "none" by default (README "Layers": pushes compress them). */
  compression: LayerCompression;
  /** gzip level of build layers when they are gzip (default 1: see README "Layers" for the numbers). */
  gzipLevel?: number;
  /** Clamp layer timestamps (SOURCE_DATE_EPOCH). */
  sourceDateEpoch?: number;
  pull?: (ref: string, platform: Platform) => Promise<ImageRecord>;
  /**
   * Every RUN container's /dev/shm size and ulimits (build --shm-size, --ulimit).
   * Options of the executor, not of the steps: as in Docker they are host
   * settings that never enter a cache key.
   */
  shmSize?: number;
  ulimits?: Ulimit[];
  /** build -v HOST:CTR[:ro]: bind mounts in every RUN container (Buildah's bud -v), never in a cache key or a layer. */
  volumes?: HostMount[];
  /** The build was interrupted: no step starts, and a running one is killed (its reason is thrown). */
  abort?: AbortSignal;
}

function newContainerId(): string {
  return new Bun.CryptoHasher("sha256").update(crypto.getRandomValues(new Uint8Array(32))).digest("hex");
}

type Io = Parameters<typeof runContainer>[1];

export class RealExecutor implements Executor {
  readonly pull?: (ref: string, platform: Platform) => Promise<ImageRecord>;

  constructor(
    private readonly store: Store,
    private readonly opts: RealExecutorOptions,
  ) {
    this.pull = opts.pull;
  }

  /** One indexed query and the config blob for a tag: a fully cached build names its base at no other cost. */
  findImage(ref: string): Promise<BaseImage | undefined> {
    return this.store.findImageConfig(ref);
  }
  getImage(id: Digest): Promise<ImageRecord> {
    return this.store.getImage(id);
  }
  cacheGet(key: string): Digest | undefined {
    return this.store.cacheGet(key) as Digest | undefined;
  }
  cachePut(key: string, id: Digest): void {
    this.store.cachePut(key, id);
  }
  async tag(id: Digest, name: string): Promise<void> {
    // A rebuild that changed nothing must not rewrite (and fsync) the index.
    if ((await this.findImage(name))?.id === id) return;
    await this.store.tag(id, name);
  }

  async run(parent: ImageRecord | undefined, req: RunRequest): Promise<RunResult> {
    const id = newContainerId();
    req.onStart(id);
    const io: Io = req.output === "inherit" ? { stdin: "ignore", stdout: "inherit", stderr: "inherit" } : { stdin: "ignore", stdout: "pipe", stderr: "pipe" };
    const limits = { shmSize: this.opts.shmSize, ulimits: this.opts.ulimits };
    const r = await this.inContainer(parent, { id, process: { kind: "exec", argv: req.argv, env: req.env, cwd: req.cwd, user: req.user }, network: req.network, mounts: [...(this.opts.volumes ?? []), ...req.mounts], extraHosts: req.extraHosts, ...limits, ...(req.privileged ? { privileged: true } : {}) }, io, req.volumes);
    return { ...r, containerId: id };
  }

  async copy(parent: ImageRecord | undefined, req: CopyRequest): Promise<CopyResult> {
    const resultDir = await this.store.tempDir("copy-result");
    try {
      const { from: _from, reuse, ...request } = req;
      const payload: CopyOpPayload = { ...request, resultPath: join(resultDir, "result.json") };
      const snapshot = reuse && (await this.copySnapshot(parent, reuse.key));
      if (snapshot) payload.reuse = { snapshot, contextDir: reuse!.contextDir, changed: reuse!.changed };
      const extraRootfs: Record<string, string[]> = {};
      if (req.from) {
        extraRootfs.from = await this.store.prepareSnapshots(req.from.image);
        payload.from = { name: "from", sources: req.from.sources, description: req.from.description };
      }
      const r = await this.inContainer(parent, { id: newContainerId(), process: { kind: "op", op: COPY_OP, payload }, network: "none", extraRootfs });
      const result = existsSync(payload.resultPath) ? (JSON.parse(readFileSync(payload.resultPath, "utf8")) as { hashes?: string[]; warnings?: string[] }) : {};
      for (const w of result.warnings ?? []) this.store.warn(w); // once per build for each text (owners given to root, skipped entries)
      return { layer: r.layer, hashes: result.hashes };
    } finally {
      removeTree(resultDir);
    }
  }

  /**
   * The snapshot of the layer a COPY step (cache key `key`) added on top of
   * `parent` last time, when it is still in the store; never fetched or
   * extracted for this (it is only a faster way to the same files).
   */
  private async copySnapshot(parent: ImageRecord | undefined, key: string): Promise<string | undefined> {
    const id = this.cacheGet(key);
    const image = id && (await this.store.findImage(id).catch(() => undefined));
    const before = parent?.chainIds ?? [];
    if (!image || image.chainIds.length !== before.length + 1 || before.some((c, i) => image.chainIds[i] !== c)) return undefined;
    const chain = image.chainIds.at(-1)!;
    return this.store.hasSnapshot(chain) ? this.store.snapshotPath(chain) : undefined;
  }

  async exportTree(image: ImageRecord, source: string, into: string): Promise<string> {
    const hostDir = join(into, `mount-${newContainerId().slice(0, 12)}`);
    mkdirSync(hostDir, { mode: 0o755 });
    await this.runOverImage(image, EXPORT_OP, { source, hostDir });
    return hostDir;
  }

  /** Run `op` in a container over an empty root, `image` mounted read-only as extra "from" (RUN --mount from=, build -o). */
  async runOverImage(image: ImageRecord, op: string, payload: unknown): Promise<void> {
    const extraRootfs = { from: await this.store.prepareSnapshots(image) };
    // Only the mounted image and the host paths in the payload matter.
    await this.inContainer(undefined, { id: newContainerId(), process: { kind: "op", op, payload }, network: "none", extraRootfs }, undefined, [], false);
  }

  async mkdir(parent: ImageRecord | undefined, path: string): Promise<StepLayer | undefined> {
    return (await this.inContainer(parent, { id: newContainerId(), process: { kind: "op", op: MKDIR_OP, payload: { path } }, network: "none" })).layer;
  }

  async commit(req: CommitRequest): Promise<ImageRecord> {
    const parentLayers = (req.parent?.manifest.layers ?? []).map((descriptor, i) => ({ descriptor, diffId: req.parent!.diffIds[i]! }));
    return this.store.commitImage({
      config: childImageConfig(req),
      layers: [...parentLayers, ...(req.layer ? [{ descriptor: req.layer.descriptor, diffId: req.layer.diffId, size: req.layer.size }] : [])],
      parent: req.parent?.id,
    });
  }

  /** One temporary container over `parent`; on success its upper dir becomes the step's layer. */
  private async inContainer(parent: ImageRecord | undefined, spec: Omit<ContainerSpec, "rootfs">, io?: Io, volumes: string[] = [], commit = true): Promise<{ exitCode: number; stdout?: string; stderr?: string; layer?: StepLayer }> {
    // A step that runs is real work (snapshots, a container, a layer diff):
    // back to JSC's normal tier-up thresholds (the binary starts with a slower
    // JIT policy that suits a fully cached build, scripts/build.ts).
    Bun.unsafe.setJITPolicy?.(1);
    this.opts.abort?.throwIfAborted();
    const lowerDirs = parent ? await this.store.prepareSnapshots(parent) : [];
    const tmp = await this.store.tempDir("step");
    const upper = join(tmp, "upper");
    const work = join(tmp, "work");
    try {
      mkdirSync(upper, { mode: 0o755 });
      chmodSync(upper, 0o755); // the merged root takes the upper dir's mode
      mkdirSync(work);
      // A VOLUME the image lacks is a fresh empty mount point during RUN, as Docker's anonymous volume.
      const volumeMounts = missingInLowers(lowerDirs, volumes, overlayXattrNamespace()).map((target, i) => {
        const source = join(tmp, `volume-${i}`);
        mkdirSync(source, { mode: 0o755 });
        return { source, target };
      });
      if (volumeMounts.length > 0) spec = { ...spec, mounts: [...(spec.mounts ?? []), ...volumeMounts] };
      let r: Awaited<ReturnType<typeof runContainer>>;
      try {
        r = await runContainer({ ...spec, rootfs: { lowerDirs, upperDir: upper, workDir: work } }, { ...io, abort: this.opts.abort });
      } catch (err) {
        if (err instanceof KilnError && !(err instanceof BuildError)) throw new BuildError(err.code, err.message, { hint: err.hint, cause: err });
        throw err;
      }
      if (r.exitCode !== 0 || !commit) return r;
      if (volumes.length > 0) applyVolumeRules(upper, lowerDirs, volumes, overlayXattrNamespace());
      return { ...r, layer: await this.commitUpper(parent, upper, lowerDirs) };
    } finally {
      // overlay leaves work/work with mode 000: make the tree removable first
      if (existsSync(join(work, "work"))) chmodSync(join(work, "work"), 0o700);
      removeTree(tmp);
    }
  }

  /** upper dir → layer blob + snapshot; undefined when the step changed nothing. */
  private async commitUpper(parent: ImageRecord | undefined, upper: string, lowerDirs: string[]): Promise<StepLayer | undefined> {
    if (readdirSync(upper).length === 0) return undefined;
    const tar = diffUpperDir(upper, { lowerDirs, xattrNamespace: overlayXattrNamespace(), sourceDateEpoch: this.opts.sourceDateEpoch });
    const layer = await this.storeLayer(tar);
    if (layer.diffId === EMPTY_LAYER_DIFF_ID) return undefined;
    const chain = chainIds([...(parent?.diffIds ?? []), layer.diffId]).at(-1)!;
    await this.store.commitUpperAsSnapshot(upper, chain, layer.size);
    return layer;
  }

  /**
   * A layer tar as a blob. Uncompressed (the default, README "Layers") the
   * blob is the tar itself: its digest is the diffID, one hash pass serves
   * both, and a registry gets it gzip-compressed at push time. gzip goes
   * through gzipParallel at our own level, zstd through encodeLayer; both hash
   * the diffID on the tar's way into the compressor.
   */
  private async storeLayer(tar: ReadableStream<Uint8Array>): Promise<StepLayer> {
    const compression = this.opts.compression;
    if (compression === "none") {
      const blob = await this.store.putBlob(tar);
      return { descriptor: { mediaType: MEDIA_TYPE_OCI_LAYER, digest: blob.digest, size: blob.size }, diffId: blob.digest, size: blob.size };
    }
    const gzip = compression === "gzip";
    const enc = encodeLayer(tar, gzip ? "none" : compression);
    const blob = await this.store.putBlob(gzip ? gzipParallel(enc.stream, { level: this.opts.gzipLevel ?? 1 }) : enc.stream);
    const { diffId, uncompressedSize } = await enc.done;
    return { descriptor: { mediaType: gzip ? MEDIA_TYPE_OCI_LAYER_GZIP : enc.mediaType, digest: blob.digest, size: blob.size }, diffId, size: uncompressedSize };
  }
}
