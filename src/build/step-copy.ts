/**
 * A COPY or ADD step: resolve the sources (build context with .dockerignore,
 * downloads, heredocs, or another stage/image for --from), derive Docker's
 * history text and the cache key from their content hashes, and on a miss
 * have the executor copy them into a container root (layer/copy.ts inside
 * the sandbox's copy op).
 */
import { BuildError } from "../errors.ts";
import type { AddInstruction, CopyInstruction } from "../dockerfile/index.ts";
import type { CopyItem } from "../layer/index.ts";
import type { ImageRecord } from "../store/index.ts";
import { parseChmod } from "./chmod-chown.ts";
import { checkDestination, cleanSourcePath, copiedItems, copyComment, noSourceFiles, normalizeDest, planSource } from "./copy-plan.ts";
import type { CopySelect } from "./copy-select.ts";
import { planGitSource } from "./add-git.ts";
import { downloadSource, isUrl } from "./download.ts";
import { isGitUrl } from "./git-url.ts";
import { hashEntryBytes } from "./source-hash.ts";
import { findCopyReuse } from "./step-copy-reuse.ts";
import { nopCreatedBy } from "./state.ts";
import type { StageRunner } from "./stage-runner.ts";

/** Run one COPY/ADD in `runner`'s stage. */
export async function runCopyStep(runner: StageRunner, inst: CopyInstruction | AddInstruction): Promise<void> {
  const { env, state } = runner;
  const cmd = inst.kind;
  const dest = normalizeDest(state.config.WorkingDir, inst.dest);
  const chmod = inst.chmod ? parseChmod(inst.chmod) : undefined;
  const select: CopySelect = { parents: inst.kind === "COPY" && inst.parents, exclude: inst.exclude };
  // BuildKit-only flags: part of the cache key (the history text stays the classic builder's). With
  // --parents the sources as written (pivots) decide where each file lands: the same key, the same places,
  // which the hard links of step-copy-reuse.ts rely on.
  const extra: Record<string, string> = {
    ...(inst.chmod ? { chmod: inst.chmod } : {}),
    ...(select.parents ? { parents: JSON.stringify(inst.sources) } : {}),
    ...(inst.exclude.length > 0 ? { exclude: JSON.stringify(inst.exclude) } : {}),
  };

  const items: CopyItem[] = [];
  const extract: boolean[] = [];
  const at: (string | null)[] = [];
  const hashes: string[] = [];
  const sources: Record<string, string> = {};
  let tmp: string | undefined;
  /** The step's temp dir, made on first use (an ADD <git url> whose step is cached makes none). */
  const stepTemp = async (): Promise<string> => (tmp ??= await env.tempDir());
  // Heredoc sources (`COPY <<EOF /x`, BuildKit's syntax): files written here, copied like context files.
  for (const c of inst.contents) {
    const path = `${await stepTemp()}/heredoc-${items.length}`;
    await Bun.write(path, c.content, { mode: 0o644 });
    items.push({ path, name: c.name, kind: "file", perm: 0o644, mtime: Math.floor(Date.now() / 1000) });
    extract.push(false);
    at.push(null);
    const hash = `file:${hashEntryBytes({ name: c.name, kind: "file", perm: 0o644, size: Buffer.byteLength(c.content), uid: 0, gid: 0, uname: "", gname: "" }, Buffer.from(c.content))}`;
    hashes.push(hash);
    sources[`<<${c.name}`] = hash;
  }

  if (inst.kind === "COPY" && inst.from) {
    const from = await sourceImage(runner, inst.from);
    const paths = inst.sources.map(cleanSourcePath);
    await runner.commitStep({
      command: `${cmd} --from=${from.image.id}${inst.chown ? ` --chown=${inst.chown}` : ""} ${JSON.stringify(paths)} ${JSON.stringify(hashes)} in ${inst.dest}`,
      config: state.config,
      extra,
      perform: async (parent) => {
        const r = await env.exec.copy(parent, { cmd, dest, rawDest: inst.dest, chown: inst.chown, chmod, items, extract, select, from: { ...from, sources: paths } });
        const comment = copyComment(cmd, inst.chown, [...(r.hashes ?? []), ...hashes], inst.dest);
        return { layer: r.layer, createdBy: nopCreatedBy(state.config, comment, "joined") };
      },
    }, state);
    return;
  }

  const unpack = inst.kind === "ADD" && inst.unpack !== false;
  const checkouts: (() => Promise<void>)[] = [];
  for (const src of inst.sources) {
    if (inst.kind === "ADD" && isGitUrl(src)) {
      // Keyed by the commit the ref names now; cloned only if the step runs (add-git.ts).
      const g = await planGitSource(src, stepTemp, { keepGitDir: inst.keepGitDir, checksum: inst.checksum });
      items.push(g.item);
      extract.push(false);
      at.push(null);
      hashes.push(g.hash);
      sources[g.shown] = g.hash;
      checkouts.push(g.fetch);
      continue;
    }
    if (isUrl(src)) {
      if (inst.kind !== "ADD") throw new BuildError("E_BUILD", `COPY failed: source can't be a URL for COPY`, { hint: "use ADD for URLs" });
      const d = await downloadSource(src, await stepTemp(), inst.checksum);
      items.push(d.item);
      extract.push(false);
      at.push(null);
      hashes.push(d.hash);
      sources[src] = d.hash;
      continue;
    }
    const ctx = env.context();
    for (const p of planSource(ctx, src, cmd, select)) {
      for (const c of copiedItems(p)) {
        items.push(c.item);
        extract.push(unpack && c.item === p.item);
        at.push(c.at);
      }
      hashes.push(p.hash);
      if (p.item.kind === "file") sources[p.rel] = p.hash;
      else for (const e of p.kept ?? ctx.walk(p.rel)) if (e.rel !== p.rel) sources[e.rel] = ctx.hashOf(ctx.lookup(e.rel)!);
    }
  }
  // All sources together, as Docker counts them: one wildcard matching nothing is fine, all of them is not.
  if (hashes.length === 0) throw noSourceFiles(cmd);
  checkDestination(cmd, hashes.length, inst.dest);
  const createdBy = nopCreatedBy(state.config, copyComment(cmd, inst.chown, hashes, inst.dest), "joined");
  await runner.commitStep({
    command: createdBy,
    config: state.config,
    extra,
    sources,
    perform: async (parent) => {
      // Some sources changed since this COPY last ran here: the others may come from that run's snapshot (not with --no-cache).
      const reuse = cmd === "COPY" && parent && env.contextDir !== undefined && !env.noCache
        ? findCopyReuse(env.stepLog, { parent: parent.id, command: createdBy, config: state.config, extra, sources }, env.context().root)
        : undefined;
      for (const checkout of checkouts) await checkout();
      return { layer: (await env.exec.copy(parent, { cmd, dest, rawDest: inst.dest, chown: inst.chown, chmod, items, extract, at, reuse })).layer };
    },
  }, state);
}

/** The image a COPY --from reads: an earlier stage (name or index) or an image. */
async function sourceImage(runner: StageRunner, ref: string): Promise<{ image: ImageRecord; description: string }> {
  const { env } = runner;
  const index = env.stageIndex(ref);
  if (index !== undefined) {
    const image = await (await env.stageResult(index)).record();
    if (!image) throw new BuildError("E_BUILD", `COPY --from=${ref}: that stage produced no image`, { hint: "give the stage at least one instruction" });
    return { image, description: `stage ${ref}` };
  }
  return { image: await env.exec.getImage((await env.resolveImage(ref, runner.platform)).id), description: `image ${ref}` };
}
