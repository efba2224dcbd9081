/**
 * The ssh-agent relay of RUN --mount=type=ssh: a unix socket of kiln's own
 * that the container connects to, each connection relayed to the user's
 * agent socket. Like BuildKit's sshforward, it lets the mount have its own
 * path, mode and owner without touching the agent's socket, and it exists
 * only while the step runs. Bytes are relayed, never read or logged.
 *
 * A client may shut down its writing side after its request and wait for
 * the answer. Passing that half-close on to the agent lost the answer now
 * and then (Bun drops what arrives on a socket after shutdown(), both with
 * node:net's pipe() and with Bun.connect), so the relay never half-closes
 * the agent: it counts the protocol's messages (4-byte length, then the
 * body; the agent answers every request once) and ends both sides when the
 * client has finished and every request has had its answer.
 */
import { chmodSync } from "node:fs";
import type { Socket } from "bun";

interface AgentForward {
  /** Stop listening and cut the connections still open. */
  close(): Promise<void>;
}

/** One direction of a connection: what waits to be written to `to`, and whether its source has finished. */
interface Flow {
  to?: Socket<Link>;
  queue: Uint8Array[];
  ended: boolean;
  frames: FrameCounter;
}

/** Counts length-prefixed messages (ssh-agent protocol, RFC draft-miller-ssh-agent §3) as bytes go by. */
class FrameCounter {
  count = 0;
  private header: number[] = [];
  private left = 0;
  /** Between messages (no message half-seen): a stream of other bytes never is, for long. */
  get complete(): boolean {
    return this.header.length === 0 && this.left === 0;
  }
  feed(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      if (this.left > 0) {
        const k = Math.min(this.left, chunk.length - i);
        this.left -= k;
        i += k;
        if (this.left === 0) this.count++;
        continue;
      }
      this.header.push(chunk[i++]!);
      if (this.header.length < 4) continue;
      const [a, b, c, d] = this.header as [number, number, number, number];
      this.left = ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;
      this.header = [];
      if (this.left === 0) this.count++;
    }
  }
}

interface Link {
  toAgent: Flow;
  toClient: Flow;
  client: Socket<Link>;
  agent?: Socket<Link>;
  closed: boolean;
}

/** Write what `flow` holds; then end the link if the client is done and every request has its answer. */
function pump(flow: Flow): void {
  const to = flow.to;
  if (!to || to.data.closed) return;
  while (flow.queue.length > 0) {
    const chunk = flow.queue[0]!;
    const n = to.write(chunk);
    if (n < chunk.length) {
      flow.queue[0] = chunk.subarray(Math.max(n, 0));
      return; // the rest on drain
    }
    flow.queue.shift();
  }
  const { toAgent, toClient } = to.data;
  const answered = toAgent.frames.complete && toClient.frames.count >= toAgent.frames.count;
  if ((toClient.ended && toClient.queue.length === 0) || (toAgent.ended && toAgent.queue.length === 0 && toClient.queue.length === 0 && answered)) cut(to.data);
}

/** Close both ends of a link (end() writes what the socket still buffers first). */
function cut(link: Link): void {
  if (link.closed) return;
  link.closed = true;
  link.toAgent.queue = [];
  link.toClient.queue = [];
  link.client.end();
  link.agent?.end();
}

const flow = (to?: Socket<Link>): Flow => ({ to, queue: [], ended: false, frames: new FrameCounter() });

/** Listen on `socketPath` (mode 0600) and relay every connection to `agentSocket`. */
export async function forwardAgent(agentSocket: string, socketPath: string): Promise<AgentForward> {
  const server = Bun.listen<Link>({
    unix: socketPath,
    allowHalfOpen: true,
    socket: {
      open(client) {
        const link: Link = { client, toAgent: flow(), toClient: flow(client), closed: false };
        client.data = link;
        Bun.connect<Link>({
          unix: agentSocket,
          allowHalfOpen: true,
          data: link,
          socket: {
            open(agent) {
              link.agent = agent;
              link.toAgent.to = agent;
              pump(link.toAgent);
            },
            data(_agent, chunk) {
              link.toClient.frames.feed(chunk);
              link.toClient.queue.push(new Uint8Array(chunk));
              pump(link.toClient);
            },
            drain: () => pump(link.toAgent),
            end() {
              link.toClient.ended = true;
              pump(link.toClient);
            },
            // The agent hung up: the client still gets what is queued for it.
            close() {
              link.toClient.ended = true;
              pump(link.toClient);
            },
            error: () => cut(link),
            connectError: () => cut(link),
          },
        }).catch(() => cut(link));
      },
      data(client, chunk) {
        client.data.toAgent.frames.feed(chunk);
        client.data.toAgent.queue.push(new Uint8Array(chunk));
        pump(client.data.toAgent);
      },
      drain: (client) => pump(client.data.toClient),
      end(client) {
        client.data.toAgent.ended = true;
        pump(client.data.toAgent);
      },
      close: (client) => cut(client.data),
      error: (client) => cut(client.data),
    },
  });
  chmodSync(socketPath, 0o600);
  return {
    close: async () => {
      server.stop(true);
    },
  };
}
