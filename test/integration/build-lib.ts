// Shared by the build integration tests: a private store with alpine:3.20
// built by kiln from the official minirootfs (FROM scratch / ADD / CMD), real
// `kiln build` runs of small contexts, and the resulting image's filesystem
// flattened from its layer blobs (whiteouts applied) for exact checks.
import { join } from "node:path";
import { Store } from "../../src/store/index.ts";
import { flattenLayerFiles, type FsEntry, type FsMap } from "../conformance/differential/flatten.ts";
import { REPO, SHARED, canUnshare, runKiln, tempDir, writeTree, type KilnResult, type TempDir, type Tree } from "../harness.ts";

export const MINIROOTFS = SHARED ? join(SHARED, "images/alpine-minirootfs-3.20.3-x86_64.tar.gz") : undefined;
export const cannotBuild = !canUnshare || !MINIROOTFS || process.getuid?.() !== 0;
export const cannotBuildReason = "build integration tests need root, namespaces (unshare) and the Alpine minirootfs in ../shared/images";

export interface BuildStore extends Disposable {
  root: string;
  /** kiln build of `dockerfile` in a fresh context holding `tree` (then `setup` may add to it). */
  build(dockerfile: string, tree?: Tree, args?: string[], setup?: (dir: string) => void): Promise<KilnResult & { id?: string }>;
  /** kiln build of an existing context dir. */
  buildDir(dir: string, args?: string[]): Promise<KilnResult & { id?: string }>;
  /** The image's files, as a container would see them. */
  files(ref: string): Promise<FsMap>;
}

function withId(r: KilnResult): KilnResult & { id?: string } {
  return { ...r, id: r.stdout.match(/Successfully built ([0-9a-f]{12})/)?.[1] };
}

/** A store with alpine:3.20 in it (built by kiln). */
export async function openBuildStore(name: string): Promise<BuildStore> {
  const store: TempDir = tempDir(`build-${name}`);
  const base = tempDir("alpine-ctx");
  await Bun.write(base.join("Dockerfile"), Bun.file(join(REPO, "examples/alpine/Dockerfile")));
  await Bun.write(base.join("alpine-minirootfs-3.20.3-x86_64.tar.gz"), Bun.file(MINIROOTFS!));
  const r = await runKiln(["build", "-q", "-t", "alpine:3.20", base.path], { root: store.path });
  base[Symbol.dispose]();
  if (r.exitCode !== 0) throw new Error(`building alpine:3.20 failed: ${r.stderr}`);
  const contexts: TempDir[] = [];
  return {
    root: store.path,
    async build(dockerfile, tree = {}, args = [], setup) {
      const ctx = tempDir(`ctx-${name}`);
      contexts.push(ctx);
      writeTree(ctx.path, { ...tree, Dockerfile: dockerfile });
      setup?.(ctx.path);
      return withId(await runKiln(["build", ...args, ctx.path], { root: store.path }));
    },
    async buildDir(dir, args = []) {
      return withId(await runKiln(["build", ...args, dir], { root: store.path }));
    },
    async files(ref) {
      using s = await Store.open({ root: store.path });
      const image = await s.getImage(ref);
      return flattenLayerFiles(image.manifest.layers.map((l) => s.blobPath(l.digest)));
    },
    [Symbol.dispose]() {
      for (const c of contexts) c[Symbol.dispose]();
      store[Symbol.dispose]();
    },
  };
}

/** Expected facts about a path: absent (null), or a subset of its entry. */
export type Expect = Record<string, null | (Partial<FsEntry> & { content?: string })>;

/** Compare `files` with `expect`; returns the mismatches as readable lines. */
export function mismatches(files: FsMap, expect: Expect): string[] {
  const out: string[] = [];
  for (const [path, want] of Object.entries(expect)) {
    const got = files.get(path);
    if (want === null) {
      if (got) out.push(`${path}: expected absent, found ${got.type}`);
      continue;
    }
    if (!got) {
      out.push(`${path}: expected ${want.type ?? "an entry"}, found nothing`);
      continue;
    }
    const { content, ...fields } = want;
    for (const [k, v] of Object.entries(fields)) {
      const g = got[k as keyof FsEntry];
      if (g !== v) out.push(`${path}: ${k} ${k === "mode" ? `0${Number(g).toString(8)}` : JSON.stringify(g)} ≠ ${k === "mode" ? `0${Number(v).toString(8)}` : JSON.stringify(v)}`);
    }
    if (content !== undefined && got.sha256 !== `sha256:${new Bun.CryptoHasher("sha256").update(content).digest("hex")}`) out.push(`${path}: content differs from ${JSON.stringify(content)}`);
  }
  return out;
}
