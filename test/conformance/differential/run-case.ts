// Build one case with one builder and reduce the result to a Snapshot; the
// oracle's snapshots are cached on disk, keyed by everything that can change
// them (Dockerfile + context content, build args, base images, the builder's
// version, and the source of the flattener), so re-runs only build kiln.
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { capture } from "../../../src/util/spawn.ts";
import type { BaseImage } from "../../reference/base-images.ts";
import type { Builder } from "../../reference/builders.ts";
import type { Case } from "./cases.ts";
import { canonical } from "./compare.ts";
import { failedSnapshot, snapshotArchive, type Snapshot } from "./snapshot.ts";

export const CACHE_DIR = process.env.KILN_CONFORMANCE_CACHE ?? "/var/tmp/kiln-conformance-cache";
const FIXTURE_ONLY = new Set(["case.json", "prepare.sh"]);

export interface Prepared {
  context: string;
  /** Absolute path of the Dockerfile. */
  dockerfile: string;
  /** sha256 over every path, type, mode, link target and content of the context. */
  contextDigest: string;
  /** The case's volumes with `@@TEMPDIR@@` made the context copy's path. */
  volumes?: string[];
  dispose(): void;
}

/** Digest of a directory tree (not timestamps: they are not compared either). */
export function treeDigest(root: string): string {
  const h = new Bun.CryptoHasher("sha256");
  const walk = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      const st = lstatSync(p);
      h.update(`${rel}${name}\0${st.mode.toString(8)}\0`);
      // Owners matter to ADD of a dir; only non-root ones are hashed, so root-owned trees keep their old digests.
      if (st.uid !== 0 || st.gid !== 0) h.update(`${st.uid}:${st.gid}\0`);
      if (st.isSymbolicLink()) h.update(readlinkSync(p));
      else if (st.isFile()) h.update(readFileSync(p));
      else if (st.isDirectory()) walk(p, `${rel}${name}/`);
      h.update("\n");
    }
  };
  walk(root, "");
  return `sha256:${h.digest("hex")}`;
}

/**
 * The context to build: the shared suite's in place, unless the case writes
 * into it (inline Dockerfile, .dockerignore, tweak): then, like kiln's
 * fixtures (+ prepare.sh), a temp copy — /work/shared is never written.
 */
export async function prepareCase(c: Case): Promise<Prepared> {
  // A volume is the context copy (upstream's TEMPDIR), which the build may write to.
  const writes = c.dockerfileText !== undefined || c.files !== undefined || c.tweak !== undefined || c.volumes !== undefined;
  if (c.suite !== "kiln" && !writes) {
    return { context: c.context, dockerfile: join(c.context, c.dockerfile), contextDigest: treeDigest(c.context), dispose() {} };
  }
  const tmp = mkdtempSync("/var/tmp/kiln-diff-ctx-");
  const dispose = () => rmSync(tmp, { recursive: true, force: true });
  try {
    const fixtureOnly = (src: string) => c.suite === "kiln" && FIXTURE_ONLY.has(src.slice(c.context.length + 1));
    // An inline case without a context starts from an empty dir (0755, as upstream's).
    if (c.context) cpSync(c.context, tmp, { recursive: true, verbatimSymlinks: true, filter: (src) => !fixtureOnly(src) });
    // The copy stands for the shared context itself: same root mode (kiln's fixtures keep the temp dir's, as before).
    if (c.suite !== "kiln") chmodSync(tmp, c.context ? statSync(c.context).mode & 0o7777 : 0o755);
    if (c.dockerfileText !== undefined) writeFileSync(join(tmp, c.dockerfile), c.dockerfileText);
    for (const [name, f] of Object.entries(c.files ?? {})) {
      writeFileSync(join(tmp, name), f.content);
      chmodSync(join(tmp, name), f.mode);
    }
    await c.tweak?.(tmp);
    if (c.prepare) {
      const r = await capture(["bash", "-euo", "pipefail", c.prepare], { cwd: tmp, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } });
      if (r.exitCode !== 0) throw new Error(`${c.prepare} failed: ${r.stderr.trim()}`);
    }
  } catch (err) {
    dispose();
    throw err;
  }
  const volumes = c.volumes?.map((v) => v.replaceAll("@@TEMPDIR@@", tmp));
  return { context: tmp, dockerfile: join(tmp, c.dockerfile), contextDigest: treeDigest(tmp), ...(volumes ? { volumes } : {}), dispose };
}

/** Docker-safe tag for a case. */
export function tagFor(c: Case, builder: string): string {
  // Docker's path components: lowercase alphanumerics joined by single separators.
  const slug = c.name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
  return `kiln-diff/${builder}-${slug}`.slice(0, 120) + ":latest";
}

const FLATTENER_SOURCE = ["flatten.ts", "snapshot.ts"].map((f) => readFileSync(join(import.meta.dir, f), "utf8")).join("\n");

function cacheKey(c: Case, p: Prepared, builder: Builder, bases: BaseImage[]): string {
  return new Bun.CryptoHasher("sha256")
    .update(canonical({ name: c.name, dockerfile: c.dockerfile, args: c.buildArgs ?? {}, context: p.contextDigest, builder: builder.version, bases: bases.map((b) => b.digest), ...outputChecks(c) }))
    .update(FLATTENER_SOURCE)
    .digest("hex");
}

/** Volumes (as written, not the temp paths) and the output check, in the key of the cases that have them only (other keys stay as they were). */
function outputChecks(c: Case): Record<string, unknown> {
  return { ...(c.volumes ? { volumes: c.volumes } : {}), ...(c.outputMatches ? { outputMatches: c.outputMatches } : {}) };
}

/** Why a build's output fails the case's output check (undefined when it passes or there is none). */
export function outputMismatch(c: Case, output: string): string | undefined {
  if (!c.outputMatches) return undefined;
  const collapsed = output.replace(/\s+/g, " ");
  return new RegExp(c.outputMatches, "s").test(collapsed) ? undefined : `the build's output does not match /${c.outputMatches}/: ${collapsed.slice(-300)}`;
}

/**
 * Build `c` with `builder`, save, flatten. Failed builds become failed
 * snapshots, not exceptions; so does output that fails the case's check (a
 * case with one builds without cache: a cached RUN prints nothing).
 */
export async function buildSnapshot(builder: Builder, c: Case, p: Prepared, opts: { noCache?: boolean } = {}): Promise<Snapshot> {
  const tag = tagFor(c, builder.name);
  const r = await builder.build({ context: p.context, dockerfile: p.dockerfile, tag, buildArgs: c.buildArgs, noCache: opts.noCache || c.outputMatches !== undefined, volumes: p.volumes });
  if (!r.ok) return failedSnapshot(r.output, readFileSync(p.dockerfile, "utf8"), basename(p.dockerfile));
  const mismatch = outputMismatch(c, r.output);
  if (mismatch) return { built: false, error: mismatch };
  const dir = mkdtempSync("/var/tmp/kiln-diff-save-");
  try {
    const archive = join(dir, "image.tar");
    await builder.save(tag, archive);
    return await snapshotArchive(archive);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The oracle's snapshot, from the cache when this exact input was built before. */
export async function oracleSnapshot(builder: Builder, c: Case, p: Prepared, bases: BaseImage[], opts: { refresh?: boolean } = {}): Promise<{ snapshot: Snapshot; cached: boolean }> {
  const file = join(CACHE_DIR, `${cacheKey(c, p, builder, bases)}.json`);
  if (!opts.refresh && existsSync(file)) return { snapshot: JSON.parse(readFileSync(file, "utf8")), cached: true };
  const snapshot = await buildSnapshot(builder, c, p);
  // Failed builds are not cached (a failure may come from the host, not the
  // Dockerfile), unless the case must fail and failed where it must.
  if (snapshot.built || (c.failsAt !== undefined && snapshot.failedAt === c.failsAt)) {
    mkdirSync(CACHE_DIR, { recursive: true });
    writeFileSync(`${file}.tmp-${process.pid}`, JSON.stringify(snapshot));
    renameSync(`${file}.tmp-${process.pid}`, file);
  }
  return { snapshot, cached: false };
}
