// A private Docker daemon for tests and benchmarks: Docker (classic builder)
// is the oracle kiln is compared with. It never touches the host's Docker:
// its own socket, exec root, pidfile, config file and data root, and no
// networking of its own (no bridge, no iptables, no NAT), so builds must use
// `--network host`. Everything it mounts is unmounted again by stop().
//
//   const d = await startDockerd();
//   if ("skip" in d) { console.error(d.skip); return; }
//   const r = await d.docker(["version"]);
//   await d.stop();
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { capture, which, type Captured } from "../../src/util/spawn.ts";
import { alive, mountsUnder, tryLock, unmountAll, waitExit } from "./host.ts";

export { mountsUnder };

/** The data root kept between runs, so that base images and Docker's build cache survive. */
export const CACHED_DATA_ROOT = "/var/tmp/kiln-ref-docker";

export interface DockerOptions {
  env?: Record<string, string>;
  cwd?: string;
  stdin?: string | Uint8Array;
}

export interface Dockerd {
  /** `unix:///…/docker.sock`, for `docker -H`. */
  host: string;
  dataRoot: string;
  /** Run the docker client against this daemon. DOCKER_BUILDKIT=0 (classic builder) unless opts.env says otherwise. */
  docker(args: string[], opts?: DockerOptions): Promise<Captured>;
  /** SIGTERM, wait, unmount what the daemon left, remove temp dirs. Idempotent. */
  stop(): Promise<void>;
}

export interface StartOptions {
  /**
   * Keep images in CACHED_DATA_ROOT between runs (default true unless KILN_REF_CACHE=0).
   * Falls back to a temp root when another process holds it.
   */
  cached?: boolean;
  /** How long to wait for the daemon to answer (ms). */
  timeoutMs?: number;
}

/** The docker client matching Debian's dockerd (a newer client may sit earlier on PATH). */
export function dockerClient(): string | undefined {
  return existsSync("/usr/bin/docker") ? "/usr/bin/docker" : which("docker");
}

/** Why dockerd cannot run here, or undefined when it can. */
export function dockerdUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "dockerd needs root (run the tests as root)";
  if (!which("dockerd")) return "dockerd is not installed (apt-get install docker.io, or scripts/setup-host.sh)";
  if (!dockerClient()) return "the docker client is not installed (apt-get install docker.io)";
  if (!which("containerd") || !which("runc")) return "containerd or runc is missing (apt-get install docker.io)";
  return undefined;
}

const PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Start a private dockerd; `{ skip }` says why it cannot run on this host. */
export async function startDockerd(opts: StartOptions = {}): Promise<Dockerd | { skip: string }> {
  const missing = dockerdUnavailable();
  if (missing) return { skip: missing };
  const client = dockerClient()!;
  // Unix socket paths are limited to 108 bytes: keep the exec root short.
  const execRoot = mkdtempSync("/tmp/kd-");
  const cached = opts.cached ?? process.env.KILN_REF_CACHE !== "0";
  const release = cached ? tryLock(CACHED_DATA_ROOT) : undefined;
  const dataRoot = release ? join(CACHED_DATA_ROOT, "data") : mkdtempSync("/var/tmp/kiln-ref-docker-tmp-");
  mkdirSync(dataRoot, { recursive: true });
  const sock = join(execRoot, "docker.sock");
  const host = `unix://${sock}`;
  const configFile = join(execRoot, "daemon.json");
  const logFile = join(execRoot, "dockerd.log");
  writeFileSync(configFile, "{}\n"); // never the host's /etc/docker/daemon.json
  const clientConfig = join(execRoot, "client");
  mkdirSync(clientConfig);

  const logFd = openSync(logFile, "a");
  const proc = Bun.spawn(
    [
      which("dockerd")!,
      `--host=${host}`,
      `--data-root=${dataRoot}`,
      `--exec-root=${join(execRoot, "x")}`,
      `--pidfile=${join(execRoot, "dockerd.pid")}`,
      `--config-file=${configFile}`,
      "--bridge=none",
      "--iptables=false",
      "--ip6tables=false",
      "--ip-masq=false",
      "--userland-proxy=false",
      "--log-level=warn",
    ],
    { env: { PATH }, stdin: "ignore", stdout: logFd, stderr: logFd },
  );
  closeSync(logFd);

  let stopped = false;
  const onExit = () => {
    if (!stopped) proc.kill("SIGTERM");
  };
  process.on("exit", onExit);

  const docker = (args: string[], o: DockerOptions = {}) =>
    capture([client, "-H", host, ...args], {
      cwd: o.cwd,
      stdin: o.stdin,
      env: { PATH, HOME: execRoot, DOCKER_CONFIG: clientConfig, DOCKER_BUILDKIT: "0", ...o.env },
    });

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.off("exit", onExit);
    proc.kill("SIGTERM");
    if (!(await waitExit(proc.pid, 30_000))) proc.kill("SIGKILL");
    await proc.exited;
    // The managed containerd is dockerd's child and stops with it; make sure.
    const cpid = join(execRoot, "x/containerd/containerd.pid");
    if (existsSync(cpid)) {
      const pid = Number(readFileSync(cpid, "utf8").trim());
      if (pid > 0 && alive(pid) && !(await waitExit(pid, 10_000))) process.kill(pid, "SIGKILL");
    }
    await unmountAll([execRoot, dataRoot]);
    rmSync(execRoot, { recursive: true, force: true });
    if (release) release();
    else rmSync(dataRoot, { recursive: true, force: true });
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) break;
    if (existsSync(sock) && (await docker(["version", "--format", "{{.Server.Version}}"])).exitCode === 0) {
      return { host, dataRoot, docker, stop };
    }
    await Bun.sleep(200);
  }
  const log = existsSync(logFile) ? readFileSync(logFile, "utf8").trim().split("\n").slice(-5).join("\n") : "";
  await stop();
  return { skip: `dockerd did not start: ${log || "no answer on its socket"}` };
}
