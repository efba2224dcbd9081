import { defineCommand } from "citty";
import { shortId, type Digest } from "../../image/index.ts";
import type { ContainerRecord } from "../../sandbox/index.ts";
import { containerStore } from "./_containers.ts";
import { createdSince, formatList, humanDuration } from "./_format.ts";
import { formatArgs, noTruncArgs, openStore, printOut, quietArgs } from "./_shared.ts";

/** One line of `docker ps`: the fields its --format templates may use. */
interface ContainerRow {
  Command: string;
  CreatedAt: string;
  ID: string;
  Image: string;
  Names: string;
  Ports: string;
  RunningFor: string;
  State: string;
  Status: string;
}

const HEADERS = { ID: "CONTAINER ID", RunningFor: "CREATED", CreatedAt: "CREATED AT" };
const TABLE = "{{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

/** docker/cli: the command quoted, cut to 20 characters with an ellipsis unless --no-trunc. */
function commandColumn(argv: string[], noTrunc: boolean): string {
  let cmd = argv.join(" ");
  if (!noTrunc && [...cmd].length > 20) cmd = `${[...cmd].slice(0, 19).join("")}…`;
  return JSON.stringify(cmd);
}

/** "Created", "Up 3 seconds", "Exited (0) 2 minutes ago". */
export function statusText(rec: ContainerRecord, now = Date.now()): string {
  const s = rec.state;
  if (s.status === "running") return `Up ${humanDuration(now - Date.parse(s.startedAt ?? rec.config.created))}`;
  if (s.status === "exited") return `Exited (${s.exitCode ?? 0}) ${createdSince(s.finishedAt ?? rec.config.created, now)}`;
  return "Created";
}

/**
 * The IMAGE column, as Docker's daemon and CLI make it: the name the container
 * was created with while that name still resolves to the container's image;
 * once the tag is gone or names another image (rmi -f, a newer build or pull),
 * the image id, short unless --no-trunc.
 */
async function imageColumns(recs: ContainerRecord[], noTrunc: boolean): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  if (recs.length === 0) return out;
  // Only now the image store: ps with nothing to show never opens it.
  using store = await openStore();
  // Many containers share an image name: resolve each name once (a full image record each time otherwise).
  const idOf = new Map<string, Promise<string | undefined>>();
  for (const rec of recs) {
    const { image, imageId } = rec.config;
    let current: string | undefined = imageId;
    if (image !== imageId) {
      let found = idOf.get(image);
      if (!found) idOf.set(image, (found = store.findImage(image).then((i) => i?.id, () => undefined)));
      current = await found;
    }
    out.set(rec.config.id, current === imageId ? image : noTrunc ? imageId : shortId(imageId as Digest));
  }
  return out;
}

function rowOf(rec: ContainerRecord, image: string, noTrunc: boolean): ContainerRow {
  return {
    Command: commandColumn(rec.config.command, noTrunc),
    CreatedAt: rec.config.created,
    ID: noTrunc ? rec.config.id : rec.config.id.slice(0, 12),
    Image: image,
    Names: rec.config.name,
    Ports: "",
    RunningFor: createdSince(rec.config.created),
    State: rec.state.status,
    Status: statusText(rec),
  };
}

export default defineCommand({
  meta: { name: "ps", description: "List containers" },
  args: {
    all: { type: "boolean", alias: ["a"], description: "Show all containers (default shows just running)" },
    ...formatArgs,
    ...noTruncArgs,
    ...quietArgs,
  },
  async run({ args }) {
    const noTrunc = Boolean(args["no-trunc"]);
    const recs = containerStore()
      .list()
      .filter((r) => args.all || r.state.status === "running");
    const images = args.quiet ? new Map<string, string>() : await imageColumns(recs, noTrunc);
    const rows = recs.map((r) => rowOf(r, images.get(r.config.id) ?? r.config.image, noTrunc));
    const format = args.quiet ? "{{.ID}}" : ((args.format as string | undefined) ?? "");
    printOut(formatList({ format, table: TABLE, headers: HEADERS, rows }));
  },
});
