import { BuildError } from "../../errors.ts";

/**
 * ^C, SIGTERM or SIGHUP stop a build as they stop Docker's: the running
 * steps' containers are killed, no further step starts or commits, the temp
 * dirs go, and kiln exits 128+signal. Work that no container does (a pull,
 * hashing a large context) does not watch the signal: a second signal, or 5 s
 * without an end, exits at once, as a kiln without handlers would have.
 */
export function stopOnSignals(): { signal: AbortSignal } & Disposable {
  const controller = new AbortController();
  const signals = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
  const handlers = Object.entries(signals).map(([name, n]) => {
    const handler = () => {
      const exitCode = 128 + n;
      if (controller.signal.aborted) process.exit(exitCode);
      controller.abort(new BuildError("E_INTERRUPTED", `build interrupted (${name})`, { exitCode }));
      setTimeout(() => process.exit(exitCode), 5000).unref();
    };
    process.on(name, handler);
    return [name, handler] as const;
  });
  return {
    signal: controller.signal,
    [Symbol.dispose]: () => {
      for (const [name, handler] of handlers) process.off(name, handler);
    },
  };
}
