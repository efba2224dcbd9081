// For the RUN --mount=type=ssh tests: a tiny static unix-socket client to
// run inside Alpine (its busybox nc has no -U), compiled once with the
// host's C compiler, and a real ssh-agent holding a fresh key.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { hasCommand, tempDir, type TempDir } from "../harness.ts";

// Connects to argv[1] or $SSH_AUTH_SOCK, sends stdin, half-closes, prints the answer.
const CLIENT_C = `#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(int argc, char **argv) {
  const char *p = argc > 1 ? argv[1] : getenv("SSH_AUTH_SOCK");
  if (!p) return 2;
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a;
  memset(&a, 0, sizeof a);
  a.sun_family = AF_UNIX;
  strncpy(a.sun_path, p, sizeof a.sun_path - 1);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); return 1; }
  char b[4096];
  ssize_t n;
  while ((n = read(0, b, sizeof b)) > 0) if (write(fd, b, n) != n) return 1;
  shutdown(fd, SHUT_WR);
  while ((n = read(fd, b, sizeof b)) > 0) if (write(1, b, n) != n) return 1;
  return 0;
}
`;

export type ClientBinary = { ok: true; path: string; reason?: undefined } | { ok: false; reason: string; path?: undefined };

let client: ClientBinary | undefined;
let clientDir: TempDir | undefined;

/** The static client (built on first use; removed by disposeAgentClient). */
export function agentClient(): ClientBinary {
  if (client) return client;
  if (!hasCommand("cc")) return (client = { ok: false, reason: "no C compiler (cc)" });
  clientDir = tempDir("uds-client", { "uds.c": CLIENT_C });
  const out = join(clientDir.path, "uds");
  const r = Bun.spawnSync(["cc", "-static", "-O2", "-o", out, join(clientDir.path, "uds.c")], { stderr: "pipe" });
  if (r.exitCode !== 0 || !existsSync(out)) return (client = { ok: false, reason: `cc -static failed: ${r.stderr.toString().trim().split("\n")[0]}` });
  return (client = { ok: true, path: out });
}

export function disposeAgentClient(): void {
  clientDir?.[Symbol.dispose]();
  clientDir = undefined;
  client = undefined;
}

export interface SshAgent extends AsyncDisposable {
  socket: string;
  /** The comment of the key it holds. */
  comment: string;
}

export const canRunSshAgent = hasCommand("ssh-agent") && hasCommand("ssh-add") && hasCommand("ssh-keygen");

/** `ssh-agent -D` on a private socket, with one new ed25519 key added. */
export async function startSshAgent(): Promise<SshAgent> {
  const dir = tempDir("ssh-agent-real");
  const socket = dir.join("agent.sock");
  const proc = Bun.spawn(["ssh-agent", "-D", "-a", socket], { stdout: "pipe", stderr: "ignore" });
  // It prints `SSH_AUTH_SOCK=…; export SSH_AUTH_SOCK;` once it listens.
  const reader = proc.stdout.getReader();
  let text = "";
  while (!text.includes("SSH_AUTH_SOCK")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("ssh-agent exited before listening");
    text += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  const comment = "kiln-test-key";
  const key = dir.join("id_ed25519");
  for (const argv of [["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", key], ["ssh-add", "-q", key]]) {
    const r = Bun.spawnSync(argv, { env: { ...process.env, SSH_AUTH_SOCK: socket }, stderr: "pipe" });
    if (r.exitCode !== 0) throw new Error(`${argv[0]} failed: ${r.stderr.toString()}`);
  }
  return {
    socket,
    comment,
    async [Symbol.asyncDispose]() {
      proc.kill();
      await proc.exited;
      dir[Symbol.dispose]();
    },
  };
}
