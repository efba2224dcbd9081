import { defineCommand } from "citty";
import { closeSync, openSync } from "node:fs";
import { readLog, writeAll, type LogCursor, type LogStream } from "../../sandbox/index.ts";
import { containerStore } from "./_containers.ts";
import { printOut, stdoutClosed } from "./_shared.ts";

/** What the container wrote on stdout goes to stdout, its stderr to stderr (as `docker logs`). */
function show(stream: LogStream, data: Uint8Array): void {
  if (stream === 1) printOut(data);
  else writeAll(2, data);
}

export default defineCommand({
  meta: { name: "logs", description: "Fetch the logs of a container" },
  args: {
    follow: { type: "boolean", alias: ["f"], description: "Follow log output" },
    container: { type: "positional", description: "Container name or ID" },
  },
  async run({ args }) {
    const containers = containerStore();
    const rec = containers.find(args.container as string);
    let fd: number;
    try {
      fd = openSync(containers.logPath(rec.config.id), "r");
    } catch {
      return; // not started yet, or run by an older kiln in the foreground (which kept no log)
    }
    try {
      const cursor: LogCursor = { offset: 0 };
      readLog(fd, cursor, show);
      // Follow until the container has exited and its last bytes are out.
      while (args.follow && !stdoutClosed() && containers.read(rec.config.id)?.state.status === "running") {
        await Bun.sleep(100);
        readLog(fd, cursor, show);
      }
      if (args.follow) readLog(fd, cursor, show);
    } finally {
      closeSync(fd);
    }
  },
});
