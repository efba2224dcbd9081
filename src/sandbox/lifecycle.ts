// Start, supervise, stop and remove recorded containers. A container always
// has one kiln process supervising it: the `kiln run` in the foreground, or
// for `-d` a detached kiln in the hidden mode `__container DIR`. Both record
// the container's output in its log (container-log.ts), as Docker logs every
// container, and the foreground one shows it live too; only a foreground
// `run --rm` keeps none (nothing is left to read it). Signals go to the supervisor,
// which forwards them to the container's pid 1 (it is in the container's user
// namespace and may signal any uid there; another kiln may not). Detached,
// the state is recorded as running from the start: the supervisor writes it.
import { closeSync, writeSync } from "node:fs";
import { KilnError, SandboxError, type ErrorCode } from "../errors.ts";
import { selfArgv } from "../util/self.ts";
import { LogWriter } from "./container-log.ts";
import { runContainer, type RunHooks, type RunIO } from "./container.ts";
import { ContainerStore, isSupervisorAlive, processStartTime, type ContainerRecord, type ContainerState } from "./records.ts";

const now = () => new Date().toISOString();

/** Run a recorded container in this process; returns its exit status. */
export async function runRecorded(store: ContainerStore, rec: ContainerRecord, io: RunIO, hooks: RunHooks = {}): Promise<number> {
  const running: ContainerState = { status: "running", pid: process.pid, pidStart: processStartTime(process.pid), startedAt: now() };
  store.setState(rec.config.id, running);
  const { detached, autoRemove } = rec.config;
  const log = detached || !autoRemove ? LogWriter.open(store.logPath(rec.config.id)) : undefined;
  let exitCode = 125;
  try {
    exitCode = (await runContainer(rec.config.spec, { ...io, log, echo: !detached }, hooks)).exitCode;
    return exitCode;
  } finally {
    log?.close();
    store.setState(rec.config.id, { ...running, status: "exited", finishedAt: now(), exitCode });
    if (rec.config.autoRemove) store.remove(rec);
  }
}

/** fd on which the detached supervisor tells `kiln run -d` "ready" or why it failed. */
const READY_FD = 3;

/**
 * `kiln run -d`: start the supervisor in the background (it writes the
 * container's output to the log, through pipes: its own fds 1 and 2 lead
 * nowhere) and return once the container is set up, as `docker run -d` does;
 * a setup failure is thrown here, not only written to the log.
 */
export async function startDetached(store: ContainerStore, rec: ContainerRecord): Promise<void> {
  const proc = Bun.spawn([...selfArgv(), "__container", rec.dir], { stdio: ["ignore", "ignore", "ignore", "pipe"], detached: true });
  const fd = proc.stdio[READY_FD] as number;
  const answer = (await new Response(Bun.file(fd).stream()).text()).trim();
  try {
    closeSync(fd);
  } catch {
    // closed by the stream
  }
  proc.unref();
  if (answer === "ready") return;
  const failure = answer ? (JSON.parse(answer) as { message: string; code?: string; hint?: string }) : undefined;
  throw new SandboxError((failure?.code ?? "E_SANDBOX") as ErrorCode, failure?.message ?? "the container exited before it started", {
    hint: failure?.hint ?? `See 'kiln logs ${rec.config.name}'.`,
    exitCode: 125,
  });
}

/** Hidden mode `kiln __container DIR`: the detached supervisor. */
export async function runMonitor(dir: string): Promise<void> {
  const store = new ContainerStore(dir.slice(0, dir.lastIndexOf("/")));
  const rec = store.read(dir.slice(dir.lastIndexOf("/") + 1));
  if (!rec) return;
  let told = false;
  const tell = (line: string) => {
    if (told) return;
    told = true;
    try {
      writeSync(READY_FD, `${line}\n`);
      closeSync(READY_FD);
    } catch {
      // kiln run -d is gone
    }
  };
  try {
    process.exitCode = await runRecorded(store, rec, { stdin: "ignore" }, { onReady: () => tell("ready") });
  } catch (err) {
    const e = err instanceof KilnError ? { message: err.message, code: err.code, hint: err.hint } : { message: String(err) };
    tell(JSON.stringify(e));
    process.exitCode = 125;
  } finally {
    tell("");
  }
}

async function waitForExit(state: ContainerState, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (isSupervisorAlive(state)) {
    if (Date.now() >= until) return false;
    await Bun.sleep(20);
  }
  return true;
}

/**
 * `kiln stop`: SIGTERM (forwarded to the container's pid 1), then after
 * `timeoutSec` SIGKILL of the supervisor, which takes the whole container
 * down with it (parent-death signal, then its pid namespace).
 */
export async function stopContainer(store: ContainerStore, rec: ContainerRecord, timeoutSec: number): Promise<void> {
  const state = rec.state;
  if (state.status !== "running" || !isSupervisorAlive(state)) return;
  process.kill(state.pid!, "SIGTERM");
  if (await waitForExit(state, timeoutSec * 1000)) return;
  process.kill(state.pid!, "SIGKILL");
  await waitForExit(state, 5000);
  const after = store.read(rec.config.id);
  if (after && after.state.status === "running") store.setState(rec.config.id, { ...state, status: "exited", finishedAt: now(), exitCode: 137 });
}

/** `kiln rm`: refuse a running container unless forced (then kill it first). */
export async function removeContainer(store: ContainerStore, rec: ContainerRecord, force: boolean): Promise<void> {
  if (rec.state.status === "running" && isSupervisorAlive(rec.state)) {
    if (!force) {
      throw new KilnError("E_USAGE", `cannot remove container "/${rec.config.name}": container is running: stop the container before removing or force remove`);
    }
    process.kill(rec.state.pid!, "SIGKILL");
    await waitForExit(rec.state, 5000);
  }
  store.remove(rec);
}
