// runContainer: one temporary container, from spawn to exit status. kiln
// stays outside as the supervisor: it writes the InitSpec, starts
// `[setpriv] unshare … kiln __init`, forwards signals to the container's pid 1,
// relays a terminal, reads the init's status pipe, and afterwards removes
// what the sandbox itself left in the upper dir and its runtime dir.
import { closeSync, lstatSync, mkdirSync, mkdtempSync, rmdirSync, rmSync, unlinkSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import * as errors from "../errors.ts";
import { HostError, KilnError, SandboxError, type ErrorCode } from "../errors.ts";
import { selfArgv } from "../util/self.ts";
import { which } from "../util/spawn.ts";
import { relayOutput, writeAll, type LogWriter } from "./container-log.ts";
import { makePipe } from "./ffi.ts";
import { prepareInit, STATUS_FD } from "./prepare.ts";
import { forwardSignals, setSignalPid, signalExitCode, type SignalTarget } from "./signals.ts";
import type { ContainerSpec, StatusEvent } from "./spec.ts";
import { relayTerminal, takeTerminal } from "./tty.ts";
import { containerArgv, type HostTools } from "./unshare.ts";

export interface RunIO {
  stdin?: "inherit" | "ignore";
  stdout?: "inherit" | "pipe";
  stderr?: "inherit" | "pipe";
  /**
   * Record the output (stdout and stderr, or the terminal's) in this log,
   * through real pipes; then stdout/stderr say nothing. `echo` also copies
   * it to kiln's own fds 1 and 2 as it comes (the foreground `kiln run`).
   */
  log?: LogWriter;
  echo?: boolean;
  /**
   * Stop the container for good when this fires (a build interrupted by ^C):
   * SIGKILL to `unshare`, whose --kill-child takes the container's pid 1 and
   * so its whole pid namespace with it. runContainer then throws the
   * signal's reason when it is an Error.
   */
  abort?: AbortSignal;
}

export interface RunResult {
  exitCode: number;
  stdout?: string;
  stderr?: string;
}

let tools: HostTools | undefined;
/** Absolute paths of unshare and setpriv (util-linux), found once. */
export function hostTools(): HostTools {
  if (tools) return tools;
  const unshare = which("unshare");
  const setpriv = which("setpriv");
  if (!unshare || !setpriv) {
    throw new HostError("E_HOST", `${unshare ? "setpriv" : "unshare"} not found: kiln needs util-linux to create containers`, {
      hint: "Install util-linux (apt install util-linux, dnf install util-linux); run 'kiln doctor'.",
    });
  }
  tools = { unshare, setpriv };
  return tools;
}

/** Read the init's JSON lines until the pipe closes (when unshare and the init have exited). */
async function readStatus(fd: number, onEvent: (e: StatusEvent) => void): Promise<void> {
  const decoder = new TextDecoder();
  let buf = "";
  try {
    for await (const chunk of Bun.file(fd).stream()) {
      buf += decoder.decode(chunk, { stream: true });
      for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
        onEvent(JSON.parse(buf.slice(0, nl)) as StatusEvent);
        buf = buf.slice(nl + 1);
      }
    }
  } finally {
    try {
      closeSync(fd);
    } catch {
      // the stream closed it
    }
  }
}

/** Rethrow an op's error as the KilnError class it was thrown as (same code, message, hint). */
const SAME_SHAPE_ERRORS: Record<string, typeof KilnError> = {
  HostError: errors.HostError,
  SandboxError: errors.SandboxError,
  LayerError: errors.LayerError,
  StoreError: errors.StoreError,
  RegistryError: errors.RegistryError,
  BuildError: errors.BuildError,
};
function rebuildOpError(e: { message: string; code?: string; hint?: string; name?: string }): KilnError {
  const Cls = SAME_SHAPE_ERRORS[e.name ?? ""] ?? KilnError;
  return new Cls((e.code ?? "E_SANDBOX") as ErrorCode, e.message, { hint: e.hint });
}

/**
 * Remove mount points the init had to create in the container (they are in
 * the upper dir now), deepest first, and only while they are still the empty
 * stubs it made: anything the process put there stays.
 */
function removeStubs(upperDir: string, created: string[]): void {
  for (const path of [...created].reverse()) {
    const p = join(upperDir, path);
    try {
      const st = lstatSync(p);
      if (st.isDirectory()) rmdirSync(p);
      else if (st.isFile() && st.size === 0) unlinkSync(p);
    } catch {
      // gone, or not empty: the process made it its own
    }
  }
}

/** Beyond the contract: hooks for kiln's own callers. */
export interface RunHooks {
  /** Replaces kiln's own entry point as the init program (tests register test ops in their own entry). */
  init?: string[];
  /** Called once the container is set up and only its execve is left (`kiln run -d` returns then). */
  onReady?: () => void;
}

/** Start the init: with a log, its stdout and stderr are the given pipe ends (the container's when there is no terminal). */
function spawnInit(argv: string[], io: RunIO, tty: boolean, isExec: boolean, out?: number, err?: number) {
  return Bun.spawn(argv, {
    // With a terminal the init replaces all three with it. fd 3 is a socket:
    // the init reports on it and, for a terminal, waits for our answer.
    stdio: [
      io.stdin === "inherit" && !tty ? "inherit" : "ignore",
      out ?? (tty ? "inherit" : (io.stdout ?? "inherit")),
      err ?? (tty ? "inherit" : (io.stderr ?? "inherit")),
      "socket-fd",
    ],
    // Its own session: a ^C on kiln's terminal reaches the container once, forwarded by kiln.
    detached: isExec,
  });
}

/** Run one container to completion. Throws SandboxError when it could not be set up. */
export async function runContainer(spec: ContainerSpec, io: RunIO = {}, internal: RunHooks = {}): Promise<RunResult> {
  const t = hostTools();
  mkdirSync(dirname(spec.rootfs.workDir), { recursive: true });
  const runtime = mkdtempSync(join(dirname(spec.rootfs.workDir), ".kiln-run-"));
  try {
    const isExec = spec.process.kind === "exec";
    const tty = spec.process.kind === "exec" && spec.process.tty === true;
    prepareInit(spec, runtime);
    const argv = containerArgv(spec.process.kind, spec.network, [...(internal.init ?? selfArgv()), "__init", join(runtime, "spec.json")], t);
    const { log, echo = false } = io;
    const pipes: { read: number; write: number }[] = [];
    let proc: ReturnType<typeof spawnInit>;
    try {
      for (let i = 0; log && i < 2; i++) pipes.push(makePipe());
      proc = spawnInit(argv, io, tty, isExec, pipes[0]?.write, pipes[1]?.write);
    } catch (err) {
      for (const p of pipes) closeSync(p.read);
      throw err;
    } finally {
      for (const p of pipes) closeSync(p.write);
    }
    const relays = log ? [relayOutput(pipes[0]!.read, 1, log, echo), relayOutput(pipes[1]!.read, 2, log, echo)] : [];
    const terminalOut = (chunk: Uint8Array) => {
      if (!log) return void writeSync(1, chunk);
      if (echo) writeAll(1, chunk);
      log.write(1, chunk);
    };

    const target: SignalTarget = { pending: [] };
    const stopForwarding = isExec ? forwardSignals(target) : () => {};
    const kill = () => proc.kill("SIGKILL");
    if (io.abort?.aborted) kill();
    else io.abort?.addEventListener("abort", kill, { once: true });
    let failure: StatusEvent | undefined;
    const created: string[] = [];
    const statusFd = proc.stdio[STATUS_FD] as number;
    let relay: Promise<void> | undefined;
    const status = readStatus(statusFd, (e) => {
      if ("pid" in e) setSignalPid(target, e.pid);
      else if ("created" in e) created.push(...e.created);
      else if ("pty" in e) {
        relay = relayTerminal(takeTerminal(target.pid!, e.pty), io.stdin === "inherit", terminalOut);
        writeSync(statusFd, "go\n");
      } else if ("ready" in e) internal.onReady?.();
      else failure = e;
    });
    const text = (s: unknown) => (s instanceof ReadableStream ? new Response(s).text() : Promise.resolve(undefined));
    try {
      const [stdout, stderr] = await Promise.all([text(proc.stdout), text(proc.stderr), proc.exited, status, ...relays]);
      await relay;
      const exitCode = proc.exitCode ?? signalExitCode(proc.signalCode);
      removeStubs(spec.rootfs.upperDir, created);
      if (io.abort?.aborted && io.abort.reason instanceof Error) throw io.abort.reason;
      if (failure && "error" in failure) {
        throw new SandboxError((failure.error.code ?? "E_SANDBOX") as ErrorCode, failure.error.message, { hint: failure.error.hint });
      }
      if (failure && "opError" in failure) throw rebuildOpError(failure.opError);
      if (target.pid === undefined && isExec) {
        // The init never started: setpriv or unshare failed (their message is on stderr already).
        throw new SandboxError("E_SANDBOX", `could not create the container's namespaces (unshare exited with status ${exitCode})`, {
          hint: "Run 'kiln doctor' to see what this host is missing.",
        });
      }
      if (!isExec && exitCode !== 0) {
        throw new SandboxError("E_SANDBOX", `container op "${spec.process.kind === "op" ? spec.process.op : ""}" failed with status ${exitCode}`);
      }
      return { exitCode, stdout, stderr };
    } finally {
      io.abort?.removeEventListener("abort", kill);
      stopForwarding();
    }
  } finally {
    rmSync(runtime, { recursive: true, force: true });
  }
}
