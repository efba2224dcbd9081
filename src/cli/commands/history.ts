import { defineCommand } from "citty";
import { shortId, type Digest, type HistoryEntry } from "../../image/index.ts";
import type { ImageRecord, Store } from "../../store/index.ts";
import { createdSince, formatList, humanSize } from "./_format.ts";
import { formatArgs, noTruncArgs, openStore, printOut, quietArgs } from "./_shared.ts";

interface HistoryRow {
  ID: string;
  CreatedAt: string;
  CreatedSince: string;
  CreatedBy: string;
  Size: string;
  Comment: string;
}

const HEADERS = { ID: "IMAGE", CreatedSince: "CREATED", CreatedAt: "CREATED AT", CreatedBy: "CREATED BY" };

/** docker/cli's Ellipsis: cut to `max` characters, the last one "…". */
function ellipsis(s: string, max: number): string {
  const chars = [...s];
  return chars.length <= max ? s : `${chars.slice(0, max - 1).join("")}…`;
}

/** docker/cli's history CreatedAt: time.Unix(created, 0).Format(time.RFC3339), whole seconds, UTC. */
function rfc3339(created: string | undefined): string {
  const t = created ? Date.parse(created) : NaN;
  return Number.isNaN(t) ? "" : new Date(Math.floor(t / 1000) * 1000).toISOString().replace(/\.\d+Z$/, "Z");
}

/**
 * The history entries, newest first, with the image id of each entry found
 * by walking the parent chain (moby's ImageHistory): entries below the
 * oldest known ancestor are "<missing>".
 */
async function historyOf(store: Store, rec: ImageRecord): Promise<{ id: string; created?: string; createdBy: string; size: number; comment: string }[]> {
  const entries: HistoryEntry[] = rec.config.history ?? rec.diffIds.map(() => ({}));
  let layer = 0;
  const rows = entries.map((h) => {
    const empty = rec.config.history ? h.empty_layer === true : false;
    const size = empty ? 0 : (store.db.layerSize(rec.diffIds[layer]!) ?? rec.manifest.layers[layer]?.size ?? 0);
    if (!empty) layer++;
    return { id: "<missing>", created: h.created, createdBy: h.created_by ?? "", size, comment: h.comment ?? "" };
  });
  rows.reverse();
  let id: Digest | undefined = rec.id;
  for (const row of rows) {
    if (!id) break;
    row.id = id;
    id = (await store.findImage(id))?.parent;
  }
  return rows;
}

export default defineCommand({
  meta: { name: "history", description: "Show the history of an image" },
  args: {
    image: { type: "positional", description: "IMAGE" },
    human: { type: "boolean", alias: ["H"], default: true, description: "Print sizes and dates in human readable format" },
    ...formatArgs,
    ...noTruncArgs,
    ...quietArgs,
  },
  async run({ args }) {
    using store = await openStore();
    const rec = await store.getImage(String(args.image));
    const noTrunc = Boolean(args["no-trunc"]);
    const human = args.human !== false;
    const rows: HistoryRow[] = (await historyOf(store, rec)).map((h) => ({
      ID: h.id === "<missing>" || noTrunc ? h.id : shortId(h.id),
      CreatedAt: rfc3339(h.created),
      CreatedSince: human ? createdSince(h.created) : rfc3339(h.created),
      CreatedBy: noTrunc ? h.createdBy.replaceAll("\t", " ") : ellipsis(h.createdBy.replaceAll("\t", " "), 45),
      Size: human ? humanSize(h.size, 3) : String(h.size),
      Comment: h.comment,
    }));
    const format = args.quiet ? "{{.ID}}" : ((args.format as string | undefined) ?? "");
    printOut(formatList({ format, table: "{{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}", headers: HEADERS, rows }));
  },
});
