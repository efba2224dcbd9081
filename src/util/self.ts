/**
 * How to start kiln again (rootless re-exec, the container init, detached
 * containers). A compiled binary re-runs itself; from source, the Bun
 * runtime re-runs src/main.ts (whatever script is running now, tests included).
 */
export function selfArgv(): string[] {
  if (import.meta.path.startsWith("/$bunfs/")) return [process.execPath];
  return [process.execPath, new URL("../main.ts", import.meta.url).pathname];
}
