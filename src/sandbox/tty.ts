// `kiln run -t`: the container's process gets a real terminal. The init
// opens it inside the container's own devpts (mounts.ts) and kiln takes a
// copy of the master side (pidfd_getfd); kiln then relays between its own
// stdio and the master, with its own terminal in raw mode so that keys such
// as ^C reach the container's line discipline unchanged.
import { closeSync, read, writeSync } from "node:fs";
import { setWindowSize, takeFdFrom } from "./ffi.ts";

/** Copy the init's terminal master into kiln and size it like kiln's own terminal (80x24 without one). */
export function takeTerminal(initPid: number, fd: number): number {
  const master = takeFdFrom(initPid, fd);
  const out = process.stdout;
  // A terminal may report 0x0 (script(1) without a terminal of its own): keep the classic size then.
  setWindowSize(master, (out.isTTY && out.rows) || 24, (out.isTTY && out.columns) || 80);
  return master;
}

/**
 * Relay until the container closes the terminal: master → `out` (kiln's
 * stdout, and the container's log) always, stdin → master when
 * `interactive`. Resolves after the last output byte and closes the master.
 */
export async function relayTerminal(master: number, interactive: boolean, out: (chunk: Uint8Array) => void): Promise<void> {
  const stdin = process.stdin;
  const raw = interactive && stdin.isTTY === true;
  const onData = (chunk: Buffer) => {
    try {
      writeSync(master, chunk);
    } catch {
      // The container closed its terminal; its remaining output is still drained below.
    }
  };
  const onResize = () => {
    if (process.stdout.isTTY && process.stdout.rows > 0) setWindowSize(master, process.stdout.rows, process.stdout.columns);
  };
  if (interactive) {
    if (raw) stdin.setRawMode(true);
    stdin.on("data", onData);
    stdin.resume();
  }
  process.on("SIGWINCH", onResize);
  try {
    // The master reads EIO once every slave fd is closed: that is the end of
    // output. Plain read(2) in the thread pool: a pty cannot pread (Bun.file).
    const buf = Buffer.alloc(65536);
    for (;;) {
      const n = await new Promise<number>((resolve, reject) => read(master, buf, 0, buf.length, null, (err, n) => (err ? reject(err) : resolve(n))));
      if (n === 0) break;
      out(buf.subarray(0, n));
    }
  } catch {
    // EIO: the terminal's last user went away.
  } finally {
    process.off("SIGWINCH", onResize);
    if (interactive) {
      stdin.off("data", onData);
      stdin.pause();
      if (raw) stdin.setRawMode(false);
    }
    closeSync(master);
  }
}
