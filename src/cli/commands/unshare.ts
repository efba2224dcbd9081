import { defineCommand } from "citty";
import { UsageError } from "../../errors.ts";
import { signalExitCode } from "../../sandbox/index.ts";

// cli/main has already put us in kiln's user namespace (rootless) before this runs.
export default defineCommand({
  meta: {
    name: "unshare",
    description: "Run a command inside kiln's user namespace (e.g. kiln unshare rm -rf ~/.local/share/kiln)",
  },
  args: {
    command: { type: "positional", rest: true, required: false, description: "Command and arguments (default: $SHELL)" },
  },
  async run({ args }) {
    const argv = args.command as unknown as string[];
    const cmd = argv.length > 0 ? argv : [process.env.SHELL || "/bin/sh"];
    if (!Bun.which(cmd[0]!) && !cmd[0]!.includes("/")) throw new UsageError(`${cmd[0]}: command not found`);
    const proc = Bun.spawn(cmd, { stdio: ["inherit", "inherit", "inherit"] });
    // ^C and ^\ from the terminal reach the child directly (same process group):
    // kiln only waits for it; signals sent to kiln alone are passed on.
    for (const sig of ["SIGINT", "SIGQUIT"] as const) process.on(sig, () => {});
    for (const sig of ["SIGTERM", "SIGHUP"] as const) process.on(sig, () => proc.kill(sig));
    await proc.exited;
    process.exitCode = proc.exitCode ?? signalExitCode(proc.signalCode);
  },
});
