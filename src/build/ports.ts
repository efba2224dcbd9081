/**
 * EXPOSE and STOPSIGNAL values, validated as Docker validates them
 * (docker/go-connections nat.ParsePortSpecs, moby pkg/signal.ParseSignal).
 */
import { BuildError } from "../errors.ts";

const PROTOCOLS = new Set(["tcp", "udp", "sctp"]);

function parsePortNumber(s: string, what: string): number {
  const n = /^\d+$/.test(s) ? Number(s) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 65535) {
    throw new BuildError("E_BUILD", `invalid ${what}: ${s}`, { hint: "EXPOSE takes PORT[-PORT][/tcp|/udp|/sctp]" });
  }
  return n;
}

/** "80", "53/udp", "8000-8002", "127.0.0.1:80:8080/tcp" → ["80/tcp"], ["53/udp"], ["8000/tcp", …]. */
export function parseExposedPorts(specs: readonly string[]): string[] {
  const out: string[] = [];
  for (const spec of specs) {
    const slash = spec.lastIndexOf("/");
    const proto = slash === -1 ? "tcp" : spec.slice(slash + 1).toLowerCase();
    const rest = slash === -1 ? spec : spec.slice(0, slash);
    if (!PROTOCOLS.has(proto)) throw new BuildError("E_BUILD", `invalid proto: ${proto}`, { hint: "EXPOSE takes tcp, udp or sctp" });
    // ip:hostPort:containerPort publishes; EXPOSE keeps the container port.
    const container = rest.split(":").pop()!;
    const [lo, hi] = container.split("-");
    const start = parsePortNumber(lo ?? "", "containerPort");
    const end = hi === undefined ? start : parsePortNumber(hi, "containerPort");
    if (end < start) throw new BuildError("E_BUILD", `invalid range specified for containerPort: ${container}`);
    for (let p = start; p <= end; p++) out.push(`${p}/${proto}`);
  }
  return out;
}

const SIGNALS = [
  "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL", "PIPE", "POLL",
  "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP", "TTIN", "TTOU", "URG", "USR1",
  "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ",
];

/** A STOPSIGNAL Docker accepts: a number 1–64, SIGNAME, NAME or SIGRTMIN+n / SIGRTMAX-n. */
export function validateStopSignal(signal: string): void {
  if (/^\d+$/.test(signal)) {
    const n = Number(signal);
    if (n >= 1 && n <= 64) return;
  } else {
    const name = signal.toUpperCase().replace(/^SIG/, "");
    if (SIGNALS.includes(name) || /^RTMIN(\+\d+)?$/.test(name) || /^RTMAX(-\d+)?$/.test(name)) return;
  }
  throw new BuildError("E_BUILD", `Invalid signal: ${signal}`, { hint: "use a signal name such as SIGTERM or a number" });
}
