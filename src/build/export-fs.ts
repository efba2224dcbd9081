/**
 * `kiln build -o type=local|tar`: the final image's filesystem, as a
 * container would see it, written to a host dir or a tar file. The image is
 * mounted read-only in an op container (overlayfs merges its layers and
 * applies their whiteouts), and that merged tree goes through the layer codec
 * both ways: diffUpperDir over it, with no lower dirs, is a plain tar of the
 * tree (owners, modes with setuid, xattrs, hard links, devices, times);
 * applyLayer unpacks that tar into the destination dir with the same
 * hostile-tar rules as every layer. No second tree walker, no second copier.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BuildError } from "../errors.ts";
import { applyLayer, diffUpperDir } from "../layer/index.ts";
import { removeTree, type ImageRecord, type Store } from "../store/index.ts";
import { overlayXattrNamespace } from "../util/userns.ts";
import { RealExecutor } from "./real-executor.ts";

export const EXPORT_FS_OP = "build.export-fs";

/** Where the tree goes: into an existing host dir, or into a (new) tar file. */
export type FsTarget = { dir: string; keepOwners: boolean } | { tarFile: string };

interface ExportFsPayload {
  target: FsTarget;
  /** Host path of the JSON result ({ warnings }). */
  resultPath: string;
}

/** In the op container: the mounted image (`extra.from`) → the target. */
export async function exportFsOp(payload: unknown, ctx: { extra: Record<string, string> }): Promise<void> {
  const p = payload as ExportFsPayload;
  const root = ctx.extra.from;
  if (!root) throw new BuildError("E_INTERNAL", "export-fs op: no image is mounted");
  const xattrNamespace = overlayXattrNamespace();
  const tar = diffUpperDir(root, { lowerDirs: [], xattrNamespace });
  const warnings: string[] = [];
  if ("tarFile" in p.target) await Bun.write(p.target.tarFile, new Response(tar));
  else await applyLayer(tar, p.target.dir, { xattrNamespace, preserveOwnership: p.target.keepOwners, onWarning: (w) => warnings.push(w) });
  writeFileSync(p.resultPath, JSON.stringify({ warnings }));
}

/**
 * Write `image`'s filesystem to `target` (a dir is created when missing);
 * returns what could not be reproduced there (device nodes in a user
 * namespace, refused xattrs), once each.
 */
export async function exportImageFs(store: Store, image: ImageRecord, target: FsTarget, abort?: AbortSignal): Promise<string[]> {
  if ("dir" in target) mkdirSync(target.dir, { recursive: true, mode: 0o755 });
  const resultDir = await store.tempDir("export-fs");
  try {
    const payload: ExportFsPayload = { target, resultPath: join(resultDir, "result.json") };
    await new RealExecutor(store, { compression: "none", abort }).runOverImage(image, EXPORT_FS_OP, payload);
    const result = JSON.parse(readFileSync(payload.resultPath, "utf8")) as { warnings: string[] };
    return [...new Set(result.warnings)];
  } finally {
    removeTree(resultDir);
  }
}
