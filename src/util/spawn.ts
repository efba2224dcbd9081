/** Result of a finished child process with captured output. */
export interface Captured {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Run argv (never a shell string) to completion and capture its output.
 * Returns the exit code instead of throwing: callers decide what failure means.
 */
export async function capture(
  argv: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; stdin?: string | Uint8Array } = {},
): Promise<Captured> {
  const proc = Bun.spawn(argv, {
    env: options.env,
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "ignore" : new Blob([options.stdin]),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { exitCode, stdout, stderr };
}

/** Find an executable on PATH (or the given extra dirs); undefined when absent. */
export function which(name: string, extraDirs: string[] = ["/usr/sbin", "/sbin"]): string | undefined {
  const found = Bun.which(name);
  if (found) return found;
  for (const dir of extraDirs) {
    const p = `${dir}/${name}`;
    if (Bun.which(p)) return p;
  }
  return undefined;
}
