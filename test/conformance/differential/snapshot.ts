// A saved image (docker-archive tar from `docker save`, `buildah push
// docker-archive:`, `kiln save`; or an OCI layout tar) reduced to what the
// differential comparison looks at: the flattened filesystem, the config
// fields a user sees, and the history lines. Timestamps are left out.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { capture } from "../../../src/util/spawn.ts";
import { flattenLayerFiles, type FsEntry } from "./flatten.ts";
import { logicalLines } from "./from-lines.ts";

/** Config fields compared (ImageConfig.config), in display order. */
export const CONFIG_FIELDS = [
  "Env", "Cmd", "Entrypoint", "WorkingDir", "User", "ExposedPorts", "Volumes",
  "Labels", "StopSignal", "Healthcheck", "Shell", "OnBuild",
] as const;

export interface HistoryLine {
  created_by: string;
  empty_layer: boolean;
}

export interface Snapshot {
  /** Did the build succeed? A failed build has only `error` and `failedAt`. */
  built: boolean;
  error?: string;
  /** The Dockerfile line a failed build stopped at, when its output says. */
  failedAt?: number;
  config?: Partial<Record<(typeof CONFIG_FIELDS)[number], unknown>>;
  history?: HistoryLine[];
  /** Flattened filesystem, path → entry, sorted by path. */
  files?: Record<string, FsEntry>;
}

/**
 * The Dockerfile line a build failed at, from its output: kiln says
 * `<Dockerfile name>:7: …`, Docker's parser `Dockerfile parse error line 7: …`;
 * otherwise the last `Step N/M :` (the classic builder's numbering: every
 * instruction of every stage counts) is mapped to the line it starts on.
 */
export function failureLine(output: string, dockerfile: string, name = "Dockerfile"): number | undefined {
  const prefixed = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}:(\\d+): `, "m");
  const direct = prefixed.exec(output) ?? /Dockerfile parse error line (\d+)/.exec(output);
  if (direct) return Number(direct[1]);
  const steps = [...output.matchAll(/^Step (\d+)\/\d+ : /gm)];
  const last = steps.at(-1);
  return last ? logicalLines(dockerfile)[Number(last[1]) - 1]?.line : undefined;
}

/** A failed build: compared on the fact that it failed, and where. */
export function failedSnapshot(output: string, dockerfile: string, name?: string): Snapshot {
  return { built: false, error: output.trim().split("\n").slice(-4).join("\n"), failedAt: failureLine(output, dockerfile, name) };
}

interface Located {
  config: string;
  layers: string[];
}

/** Find config and layer files in an extracted archive: docker-archive manifest.json, else OCI index.json. */
function locate(dir: string): Located {
  const manifestJson = join(dir, "manifest.json");
  if (existsSync(manifestJson)) {
    const [m] = JSON.parse(readFileSync(manifestJson, "utf8")) as { Config: string; Layers: string[] }[];
    if (!m) throw new Error("manifest.json lists no image");
    return { config: join(dir, m.Config), layers: m.Layers.map((l) => join(dir, l)) };
  }
  const blob = (digest: string) => join(dir, "blobs", ...digest.split(":"));
  const index = JSON.parse(readFileSync(join(dir, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  let manifest = JSON.parse(readFileSync(blob(index.manifests[0]!.digest), "utf8"));
  if (manifest.manifests) manifest = JSON.parse(readFileSync(blob(manifest.manifests[0].digest), "utf8"));
  return { config: blob(manifest.config.digest), layers: manifest.layers.map((l: { digest: string }) => blob(l.digest)) };
}

/** Reduce an image config to the compared fields (absent, null and empty maps/lists are one thing: unset). */
export function pickConfig(raw: { config?: Record<string, unknown> }): Snapshot["config"] {
  const out: Record<string, unknown> = {};
  for (const f of CONFIG_FIELDS) {
    const v = raw.config?.[f];
    if (v === undefined || v === null) continue;
    // Cmd/Entrypoint [] is a real value (it clears the parent's); elsewhere empty means unset.
    const empty = (Array.isArray(v) && v.length === 0) || (typeof v === "object" && !Array.isArray(v) && Object.keys(v).length === 0) || v === "";
    if (empty && f !== "Cmd" && f !== "Entrypoint") continue;
    out[f] = v;
  }
  return out;
}

/** Turn a saved image into a Snapshot. */
export async function snapshotArchive(archive: string): Promise<Snapshot> {
  const dir = mkdtempSync("/var/tmp/kiln-diff-archive-");
  try {
    const r = await capture(["tar", "-xf", archive, "-C", dir]);
    if (r.exitCode !== 0) throw new Error(`tar -xf ${archive}: ${r.stderr.trim()}`);
    const { config, layers } = locate(dir);
    const raw = JSON.parse(readFileSync(config, "utf8")) as { config?: Record<string, unknown>; history?: { created_by?: string; empty_layer?: boolean }[] };
    const fs = await flattenLayerFiles(layers);
    return {
      built: true,
      config: pickConfig(raw),
      history: (raw.history ?? []).map((h) => ({ created_by: h.created_by ?? "", empty_layer: h.empty_layer ?? false })),
      files: Object.fromEntries(fs),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
