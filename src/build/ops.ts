/**
 * The build's in-container operations, registered with the sandbox's init by
 * src/main.ts. They run inside the container's mount namespace, as its root,
 * with the overlay mounted at `rootfs` and before pivot_root, so host paths
 * (the build context, downloads) are still reachable. Their only output is a
 * small JSON result file on the host; failures are thrown (the init reports
 * them to the executor on its status channel).
 */
import { lstatSync, writeFileSync } from "node:fs";
import { BuildError } from "../errors.ts";
import { copyIntoRoot, extractArchive, isArchiveFile, lexicalClean, makeDirInRoot, type CopyReuse } from "../layer/index.ts";
import { resolveChown } from "./chmod-chown.ts";
import { checkDestination, copiedItems, planSources } from "./copy-plan.ts";
import type { CopyRequest } from "./executor.ts";
import { ImageTree } from "./image-tree.ts";
import { joinClean } from "./state.ts";

export const COPY_OP = "build.copy";
export const MKDIR_OP = "build.mkdir";
export const EXPORT_OP = "build.export";

/** The copy op's payload: the executor's request with the --from image replaced by its mount name. */
export interface CopyOpPayload extends Omit<CopyRequest, "from" | "reuse"> {
  /** COPY --from: the name of the mounted image (ContainerSpec.extraRootfs) and the source paths (copied before `items`). */
  from?: { name: string; sources: string[]; description: string };
  /** Host path of the JSON result ({ hashes }). */
  resultPath: string;
  /** The snapshot of this COPY's last run, for its unchanged sources (RealExecutor.copy). */
  reuse?: CopyReuse;
}

interface OpContext {
  rootfs: string;
  extra: Record<string, string>;
  /** The overlay's upper dir (host path). */
  upperDir?: string;
}

/**
 * Where a COPY writes. Through the overlay (the merged root) as a rule; but
 * when the image has nothing at the destination's top-level name (COPY . /app
 * into an image without /app), everything the copy makes is new and lands in
 * the upper dir exactly as the overlay would put it there (no copy-up, no
 * whiteout, nothing below to merge), so it is written straight into the upper
 * dir: a third less time per file than through overlayfs, and unchanged
 * sources can be hard links to the last run's snapshot (a link cannot cross
 * into the overlay mount). The merged root only ever saw that name missing,
 * and never looks at it again. Not for ADD (archives are unpacked through the
 * merged root).
 */
function copyRoot(ctx: OpContext, p: CopyOpPayload): string {
  if (!ctx.upperDir || p.cmd !== "COPY" || (p.extract ?? []).some(Boolean)) return ctx.rootfs;
  const top = lexicalClean(p.dest).split("/")[1];
  if (!top || lstatSync(`${ctx.rootfs}/${top}`, { throwIfNoEntry: false })) return ctx.rootfs;
  return ctx.upperDir;
}

/** COPY/ADD inside the container. */
export async function copyOp(payload: unknown, ctx: OpContext): Promise<void> {
  const p = payload as CopyOpPayload;
  // Docker's classic builder keeps the sources' owners for COPY --from without --chown.
  const identity = p.from && !p.chown ? undefined : resolveChown(ctx.rootfs, p.chown);
  let items = p.items ?? [];
  let extract = p.extract ?? [];
  let at = p.at ?? [];
  let hashes: string[] | undefined;
  if (p.from) {
    const root = ctx.extra[p.from.name];
    if (!root) throw new BuildError("E_INTERNAL", `copy op: ${p.from.description} is not mounted`);
    const planned = planSources(new ImageTree(root, p.from.description), p.from.sources, p.cmd, p.select);
    checkDestination(p.cmd, planned.length + items.length, p.rawDest);
    const fromItems = planned.flatMap(copiedItems);
    items = [...fromItems.map((x) => x.item), ...items];
    at = [...fromItems.map((x) => x.at), ...at];
    hashes = planned.map((x) => x.hash);
    extract = [...fromItems.map(() => false), ...extract];
  }
  const warnings: string[] = [];
  const root = copyRoot(ctx, p);
  const reuse = root === ctx.upperDir ? p.reuse : undefined;
  for (const [i, item] of items.entries()) {
    if (extract[i] && item.kind === "file" && (await isArchiveFile(item.path))) {
      await extractArchive(ctx.rootfs, item.path, p.dest, (w) => warnings.push(w));
    } else {
      const dest = typeof at[i] === "string" ? `${joinClean(p.dest, at[i]!)}/` : p.dest;
      copyIntoRoot(root, { dest, items: [item], identity, chmod: p.chmod, reuse }, (w) => warnings.push(w));
    }
  }
  writeFileSync(p.resultPath, JSON.stringify({ hashes, warnings }));
}

/** WORKDIR: create the directory when the image lacks it. */
export async function mkdirOp(payload: unknown, ctx: OpContext): Promise<void> {
  makeDirInRoot(ctx.rootfs, (payload as { path: string }).path);
}

/**
 * RUN --mount=type=bind,from=STAGE: copy `source` of the mounted image into a
 * host dir (owners, modes and times kept) that the RUN then bind-mounts; what
 * the RUN writes there (rw) is thrown away with the dir, as BuildKit does.
 */
export async function exportOp(payload: unknown, ctx: OpContext): Promise<void> {
  const p = payload as { source: string; hostDir: string };
  const root = ctx.extra.from;
  if (!root) throw new BuildError("E_INTERNAL", "export op: no image is mounted");
  const tree = new ImageTree(root, "the mounted stage");
  const [planned] = planSources(tree, [p.source], "COPY");
  const item = planned!.item;
  if (item.kind === "dir") copyIntoRoot(p.hostDir, { dest: "/", items: [item], identity: undefined });
  else copyIntoRoot(p.hostDir, { dest: `/${item.name}`, items: [item], identity: undefined });
}
