import { defineCommand } from "citty";
import type { ContainerRecord } from "../../sandbox/index.ts";
import { containerStore } from "./_containers.ts";
import { createdSince, formatList, humanDuration } from "./_format.ts";
import { formatArgs, noTruncArgs, printOut, quietArgs } from "./_shared.ts";

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

function rowOf(rec: ContainerRecord, noTrunc: boolean): ContainerRow {
  return {
    Command: commandColumn(rec.config.command, noTrunc),
    CreatedAt: rec.config.created,
    ID: noTrunc ? rec.config.id : rec.config.id.slice(0, 12),
    Image: rec.config.image,
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
  run({ args }) {
    // Only container records: no need to open the image store (and its database).
    const containers = containerStore();
    const rows = containers
      .list()
      .filter((r) => args.all || r.state.status === "running")
      .map((r) => rowOf(r, Boolean(args["no-trunc"])));
    const format = args.quiet ? "{{.ID}}" : ((args.format as string | undefined) ?? "");
    printOut(formatList({ format, table: TABLE, headers: HEADERS, rows }));
  },
});
