import { defineCommand } from "citty";
import { closeSync, openSync, readSync } from "node:fs";
import { containerStore } from "./_containers.ts";
import { printOut, stdoutClosed } from "./_shared.ts";

/** Copy what `fd` holds from `offset` on to stdout; returns the new offset. */
function drain(fd: number, offset: number): number {
  const buf = Buffer.alloc(65536);
  for (;;) {
    const n = readSync(fd, buf, 0, buf.length, offset);
    if (n === 0) return offset;
    printOut(buf.subarray(0, n));
    offset += n;
  }
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
      return; // a container run in the foreground wrote its output to the terminal, not to a log
    }
    try {
      let offset = drain(fd, 0);
      // Follow until the container has exited and its last bytes are out.
      while (args.follow && !stdoutClosed() && containers.read(rec.config.id)?.state.status === "running") {
        await Bun.sleep(100);
        offset = drain(fd, offset);
      }
      if (args.follow) drain(fd, offset);
    } finally {
      closeSync(fd);
    }
  },
});
