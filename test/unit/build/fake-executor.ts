// A recording Executor for the dispatcher's unit tests (STYLE P3): no
// containers, no store. Images are real configs (ids are config digests),
// layers are made-up digests derived from what the step did.
import { childImageConfig, type CommitRequest, type CopyRequest, type CopyResult, type Executor, type RunRequest, type RunResult, type StepLayer } from "../../../src/build/executor.ts";
import { imageIdOf, serializeConfig, type Digest, type ImageConfig } from "../../../src/image/index.ts";
import type { ImageRecord } from "../../../src/store/index.ts";
import { sha256 } from "../../../src/util/digest.ts";

export type Call = { op: "run"; argv: string[]; env: string[]; cwd: string; user: string; network: string } | { op: "copy"; req: CopyRequest } | { op: "mkdir"; path: string } | { op: "export"; image: Digest; source: string };

function fakeLayer(what: string): StepLayer {
  const d = sha256(what);
  return { descriptor: { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: sha256(`blob ${what}`), size: 1 }, diffId: d, size: 1 };
}

function recordOf(config: ImageConfig, names: string[] = []): ImageRecord {
  const id = imageIdOf(serializeConfig(config));
  const diffIds = config.rootfs.diff_ids;
  return {
    id,
    config,
    manifest: { schemaVersion: 2, config: { mediaType: "x", digest: id, size: 1 }, layers: diffIds.map((d) => ({ mediaType: "x", digest: d, size: 1 })) },
    manifestDigest: sha256(id),
    names,
    diffIds,
    chainIds: diffIds,
    size: 0,
  };
}

export class FakeExecutor implements Executor {
  readonly calls: Call[] = [];
  readonly images = new Map<string, ImageRecord>();
  readonly cache = new Map<string, Digest>();
  readonly tags = new Map<string, Digest>();
  /** Exit status of a RUN by its argv (default 0). */
  exitCode: (argv: string[]) => number = () => 0;

  /** Put a base image in the fake store under `name`. */
  addImage(name: string, config: Partial<ImageConfig> & { config?: ImageConfig["config"] } = {}): ImageRecord {
    const full: ImageConfig = { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [sha256(`base ${name}`)] }, history: [{ created_by: "base" }], ...config };
    const r = recordOf(full, [name]);
    this.images.set(r.id, r);
    this.tags.set(name, r.id);
    return r;
  }

  async findImage(ref: string): Promise<ImageRecord | undefined> {
    const id = this.tags.get(ref) ?? (this.images.has(ref) ? ref : undefined);
    return id ? this.images.get(id) : undefined;
  }
  async getImage(id: Digest): Promise<ImageRecord> {
    const r = this.images.get(id);
    if (!r) throw new Error(`no image ${id}`);
    return r;
  }
  cacheGet(key: string): Digest | undefined {
    return this.cache.get(key);
  }
  cachePut(key: string, id: Digest): void {
    this.cache.set(key, id);
  }
  async run(_parent: ImageRecord | undefined, req: RunRequest): Promise<RunResult> {
    this.calls.push({ op: "run", argv: req.argv, env: req.env, cwd: req.cwd, user: req.user, network: req.network });
    req.onStart("c".repeat(64));
    const exitCode = this.exitCode(req.argv);
    const changes = !req.argv.join(" ").endsWith("true");
    return { exitCode, containerId: "c".repeat(64), layer: exitCode === 0 && changes ? fakeLayer(req.argv.join(" ")) : undefined };
  }
  async copy(_parent: ImageRecord | undefined, req: CopyRequest): Promise<CopyResult> {
    this.calls.push({ op: "copy", req });
    return { layer: fakeLayer(JSON.stringify(req)), hashes: req.from ? req.from.sources.map((s) => `file:${sha256(s).slice(7)}`) : undefined };
  }
  async exportTree(image: ImageRecord, source: string, into: string): Promise<string> {
    this.calls.push({ op: "export", image: image.id, source });
    return `${into}/${image.id.slice(7, 19)}${source}`;
  }
  async mkdir(_parent: ImageRecord | undefined, path: string): Promise<StepLayer | undefined> {
    this.calls.push({ op: "mkdir", path });
    return fakeLayer(`mkdir ${path}`);
  }
  async commit(req: CommitRequest): Promise<ImageRecord> {
    const r = recordOf(childImageConfig(req));
    this.images.set(r.id, r);
    return r;
  }
  async tag(id: Digest, name: string): Promise<void> {
    this.tags.set(name, id);
  }
}
