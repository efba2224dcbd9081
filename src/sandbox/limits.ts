// Resource limits of a container, as `docker run` and `docker build` take
// them on the command line: --shm-size (the size of /dev/shm) and --ulimit
// (setrlimit before the command is exec'd). Parsing follows Docker's
// go-units (RAMInBytes, ParseUlimit); applying them is the init's last step
// before credentials change (exec.ts), through the Sys seam.
import { SandboxError, UsageError } from "../errors.ts";
import { SysError, type Sys } from "./sys.ts";

/** One --ulimit; -1 is unlimited (RLIM_INFINITY), as in Docker's API. */
export interface Ulimit {
  name: UlimitName;
  soft: number;
  hard: number;
}

/** Docker's ulimit names → Linux RLIMIT_* numbers (asm-generic/resource.h; the same on x86_64 and arm64). */
export const RLIMITS = {
  core: 4,
  cpu: 0,
  data: 2,
  fsize: 1,
  locks: 10,
  memlock: 8,
  msgqueue: 12,
  nice: 13,
  nofile: 7,
  nproc: 6,
  rss: 5,
  rtprio: 14,
  rttime: 15,
  sigpending: 11,
  stack: 3,
} as const;
export type UlimitName = keyof typeof RLIMITS;

/** /dev/shm of a container when --shm-size is not given: 64 MiB, as Docker's. */
export const DEFAULT_SHM_SIZE = 64 * 1024 * 1024;

const UNITS: Record<string, number> = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 };

/**
 * `--shm-size` as Docker reads it (go-units RAMInBytes): a number with an
 * optional binary unit, `64m`, `1g`, `1.5GiB`, `512kb`; a bare number is bytes.
 */
export function parseShmSize(value: string): number {
  const m = /^(\d+(?:\.\d+)?) ?([kmgtp])?i?b?$/i.exec(value.trim());
  if (!m) throw new UsageError(`invalid --shm-size "${value}": expected a size such as 64m or 1g (a number with an optional unit b, k, m, g)`);
  const bytes = Math.floor(Number(m[1]) * UNITS[(m[2] ?? "").toLowerCase()]!);
  if (bytes <= 0) throw new UsageError(`invalid --shm-size "${value}": the size must be greater than 0`);
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`invalid --shm-size "${value}": the size is too large`);
  return bytes;
}

/** The tmpfs `size=` option for `bytes` (in k when it divides evenly, as kiln always wrote the default). */
export function shmSizeOption(bytes: number = DEFAULT_SHM_SIZE): string {
  return bytes % 1024 === 0 ? `size=${bytes / 1024}k` : `size=${bytes}`;
}

function parseLimitValue(flag: string, text: string): number {
  if (text === "-1" || text.toLowerCase() === "unlimited") return -1;
  const n = /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new UsageError(`invalid --ulimit "${flag}": "${text}" is not a limit (a whole number, or -1 / unlimited)`);
  return n;
}

/** `NAME=SOFT[:HARD]` (go-units ParseUlimit): the hard limit defaults to the soft one; soft may not exceed hard. */
export function parseUlimit(flag: string): Ulimit {
  const eq = flag.indexOf("=");
  if (eq <= 0) throw new UsageError(`invalid --ulimit "${flag}": expected NAME=SOFT[:HARD], e.g. nofile=1024:2048`);
  const name = flag.slice(0, eq);
  if (!Object.hasOwn(RLIMITS, name)) {
    throw new UsageError(`invalid --ulimit "${flag}": unknown limit "${name}" (valid: ${Object.keys(RLIMITS).join(", ")})`);
  }
  const values = flag.slice(eq + 1).split(":");
  if (values.length > 2) throw new UsageError(`invalid --ulimit "${flag}": too many values, expected SOFT[:HARD]`);
  const soft = parseLimitValue(flag, values[0]!);
  const hard = values.length === 2 ? parseLimitValue(flag, values[1]!) : soft;
  if (hard !== -1 && (soft === -1 || soft > hard)) {
    throw new UsageError(`invalid --ulimit "${flag}": the soft limit ${formatLimit(soft)} is greater than the hard limit ${hard}`);
  }
  return { name: name as UlimitName, soft, hard };
}

/** Every --ulimit of a command line; a name given twice keeps its last value (Docker's map). */
export function parseUlimits(flags: string[]): Ulimit[] {
  const byName = new Map<UlimitName, Ulimit>();
  for (const f of flags) {
    const u = parseUlimit(f);
    byName.set(u.name, u);
  }
  return [...byName.values()];
}

const formatLimit = (n: number): string => (n === -1 ? "unlimited" : String(n));

/**
 * setrlimit each limit. Raising a hard limit needs CAP_SYS_RESOURCE in the
 * host's user namespace, which rootless kiln never has: that EPERM names the
 * limit and the most the user may ask for.
 */
export function applyUlimits(sys: Sys, ulimits: Ulimit[]): void {
  for (const u of ulimits) {
    try {
      sys.setrlimit(RLIMITS[u.name], u.soft, u.hard);
    } catch (err) {
      if (!(err instanceof SysError) || err.code !== "EPERM") throw err;
      const current = sys.getrlimit(RLIMITS[u.name]).hard;
      const nrOpen = u.name === "nofile" ? Number(sys.readFile("/proc/sys/fs/nr_open")?.trim()) : NaN;
      const max = Number.isFinite(nrOpen) && (current === -1 || nrOpen < current) ? nrOpen : current;
      throw new SandboxError("E_SANDBOX", `cannot set ulimit ${u.name}=${formatLimit(u.soft)}:${formatLimit(u.hard)}: the hard limit may not be raised above the current maximum of ${formatLimit(max)}`, {
        hint: max === nrOpen
          ? `ask for at most ${max} (the kernel's fs.nr_open)`
          : `ask for at most ${formatLimit(max)}, or raise the hard limit before starting kiln (ulimit -H, limits.conf): raising it needs CAP_SYS_RESOURCE on the host, which rootless kiln never has`,
      });
    }
  }
}
