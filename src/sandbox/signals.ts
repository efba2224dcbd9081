// Signals sent to kiln reach the container's process, as `docker run`
// proxies them. `unshare` does not forward SIGINT/SIGTERM (it blocks them
// while it waits), so kiln signals the container's pid 1 itself, by the host
// pid the init reported. The container runs in its own session, so a ^C on
// kiln's terminal reaches it once, through kiln, and never twice.
import type * as Os from "node:os";

export const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const;
type Forwarded = (typeof FORWARDED_SIGNALS)[number];

/** A running container's signal target; `pid` is unknown until the init reports it. */
export interface SignalTarget {
  pid?: number;
  pending: Forwarded[];
}

const targets = new Set<SignalTarget>();
const handlers = new Map<Forwarded, () => void>();

function deliver(t: SignalTarget, sig: Forwarded): void {
  if (t.pid === undefined) {
    t.pending.push(sig);
    return;
  }
  try {
    process.kill(t.pid, sig);
  } catch {
    // Already gone: its exit status is on its way.
  }
}

/** Forward kiln's signals to `t` until the returned function is called. */
export function forwardSignals(t: SignalTarget): () => void {
  targets.add(t);
  if (handlers.size === 0) {
    for (const sig of FORWARDED_SIGNALS) {
      const h = () => {
        for (const target of targets) deliver(target, sig);
      };
      handlers.set(sig, h);
      process.on(sig, h);
    }
  }
  return () => {
    targets.delete(t);
    if (targets.size > 0) return;
    for (const [sig, h] of handlers) process.off(sig, h);
    handlers.clear();
  };
}

/** The pid is known now: send what arrived before it. */
export function setSignalPid(t: SignalTarget, pid: number): void {
  t.pid = pid;
  for (const sig of t.pending.splice(0)) deliver(t, sig);
}

/** Exit status of a process killed by `signal`, as shells report it (128 + n). */
export function signalExitCode(signal: string | number | null | undefined): number {
  const n = typeof signal === "number" ? signal : signal ? ((require("node:os") as typeof Os).constants.signals as Record<string, number>)[signal] : undefined;
  return 128 + (n ?? 0);
}
