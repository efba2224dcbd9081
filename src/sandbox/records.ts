// Containers that `kiln run` started, kept under the store like Docker keeps
// them under its data root: <store>/containers/<id>/ holds config.json (what
// to run), state.json (created/running/exited, the supervising kiln's pid and
// the exit code), container.log (output of detached containers) and the
// container's upper and work dirs. Names are symlinks in containers/names/,
// created atomically so two runs cannot take the same name.
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import { KilnError } from "../errors.ts";
import { writeFileAtomic } from "../util/fs-atomic.ts";
import type { ContainerSpec } from "./spec.ts";

export interface ContainerConfig {
  id: string;
  name: string;
  /** The image as the user named it, and its id. */
  image: string;
  imageId: string;
  command: string[];
  created: string;
  spec: ContainerSpec;
  autoRemove: boolean;
  detached: boolean;
}

export interface ContainerState {
  status: "created" | "running" | "exited";
  /** The kiln process supervising the container (foreground kiln run, or the detached monitor). */
  pid?: number;
  /** Its start time (/proc/PID/stat field 22), so that a reused pid is not taken for it. */
  pidStart?: string;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
}

export interface ContainerRecord {
  config: ContainerConfig;
  state: ContainerState;
  dir: string;
}

/** Start time of a process in clock ticks since boot, undefined when it does not exist or is a zombie. */
export function processStartTime(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // A dead supervisor may wait a while for its (re)parent to reap it: dead all the same.
    if (fields[0] === "Z" || fields[0] === "X") return undefined;
    return fields[19];
  } catch {
    return undefined;
  }
}

/** Is the supervising kiln of `state` still alive (same pid, same start time)? */
export function isSupervisorAlive(state: ContainerState): boolean {
  return state.pid !== undefined && state.pidStart !== undefined && processStartTime(state.pid) === state.pidStart;
}

const ADJECTIVES = ["admiring", "brave", "clever", "dazzling", "eager", "focused", "gallant", "happy", "jolly", "keen", "loving", "modest", "nifty", "quirky", "serene", "trusting", "vibrant", "wizardly", "zealous", "bold"];
const SURNAMES = ["curie", "darwin", "euler", "faraday", "galileo", "hopper", "kepler", "lovelace", "meitner", "newton", "noether", "pascal", "ritchie", "shannon", "tesla", "turing", "wozniak", "yalow", "hamilton", "thompson"];

/** A Docker-style random name (adjective_surname). */
export function randomName(): string {
  const pick = (xs: string[]) => xs[Math.floor(Math.random() * xs.length)]!;
  return `${pick(ADJECTIVES)}_${pick(SURNAMES)}`;
}

export class ContainerStore {
  /** `root` is <store>/containers. */
  constructor(readonly root: string) {}

  dirOf(id: string): string {
    return join(this.root, id);
  }

  logPath(id: string): string {
    return join(this.dirOf(id), "container.log");
  }

  /**
   * Record a new container; the name is claimed atomically. Without a name
   * one is generated, retried on a clash (with a digit appended after a few
   * tries, as Docker's name generator does).
   */
  create(config: Omit<ContainerConfig, "name"> & { name?: string }): ContainerRecord {
    mkdirSync(join(this.root, "names"), { recursive: true });
    let name = config.name ?? randomName();
    for (let attempt = 0; ; attempt++) {
      try {
        symlinkSync(config.id, join(this.root, "names", name));
        break;
      } catch (err) {
        if (config.name === undefined && attempt < 100) {
          name = `${randomName()}${attempt >= 5 ? Math.floor(Math.random() * 10) : ""}`;
          continue;
        }
        if ((err as { code?: string }).code !== "EEXIST") throw err;
        const owner = this.idOfName(name) ?? "";
        throw new KilnError("E_USAGE", `Conflict. The container name "/${name}" is already in use by container "${owner}". You have to remove (or rename) that container to be able to reuse that name.`, { exitCode: 125 });
      }
    }
    config = { ...config, name };
    const dir = this.dirOf(config.id);
    mkdirSync(dir, { mode: 0o700 });
    writeFileAtomic(join(dir, "config.json"), JSON.stringify(config, null, 2));
    const state: ContainerState = { status: "created" };
    writeFileAtomic(join(dir, "state.json"), JSON.stringify(state));
    return { config: config as ContainerConfig, state, dir };
  }

  private idOfName(name: string): string | undefined {
    try {
      return readlinkSync(join(this.root, "names", name));
    } catch {
      return undefined;
    }
  }

  read(id: string): ContainerRecord | undefined {
    const dir = this.dirOf(id);
    try {
      const config = JSON.parse(readFileSync(join(dir, "config.json"), "utf8")) as ContainerConfig;
      const state = JSON.parse(readFileSync(join(dir, "state.json"), "utf8")) as ContainerState;
      // A supervisor that died without recording the end (SIGKILL) took its container with it.
      if (state.status === "running" && !isSupervisorAlive(state)) Object.assign(state, { status: "exited", exitCode: 137 });
      return { config, state, dir };
    } catch {
      return undefined;
    }
  }

  setState(id: string, state: ContainerState): void {
    writeFileAtomic(join(this.dirOf(id), "state.json"), JSON.stringify(state));
  }

  /** Every recorded container, newest first. */
  list(): ContainerRecord[] {
    if (!existsSync(this.root)) return [];
    return readdirSync(this.root)
      .filter((e) => /^[0-9a-f]{64}$/.test(e))
      .map((id) => this.read(id))
      .filter((r): r is ContainerRecord => r !== undefined)
      .sort((a, b) => b.config.created.localeCompare(a.config.created));
  }

  /** By name, full id or unique id prefix (as Docker resolves container references). */
  find(ref: string): ContainerRecord {
    const id = this.idOfName(ref.replace(/^\//, "")) ?? ref;
    const exact = /^[0-9a-f]{64}$/.test(id) ? this.read(id) : undefined;
    if (exact) return exact;
    const prefixed = /^[0-9a-f]+$/.test(ref) ? this.list().filter((r) => r.config.id.startsWith(ref)) : [];
    if (prefixed.length === 1) return prefixed[0]!;
    if (prefixed.length > 1) throw new KilnError("E_CONTAINER_NOT_FOUND", `multiple containers found with provided prefix: ${ref}`);
    throw new KilnError("E_CONTAINER_NOT_FOUND", `No such container: ${ref}`);
  }

  /** Forget a container: its name, its dir (upper dir included). */
  remove(record: ContainerRecord): void {
    if (this.idOfName(record.config.name) === record.config.id) unlinkSync(join(this.root, "names", record.config.name));
    rmSync(record.dir, { recursive: true, force: true });
  }
}
