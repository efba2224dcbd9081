// What a container is (ContainerSpec, the contract other modules use) and what
// kiln's init receives inside the namespaces (InitSpec: the container spec with
// every host-side decision already taken, so the init only executes it).
import type { Ulimit } from "./limits.ts";

/** A process to exec in the container. */
export interface ExecProcess {
  kind: "exec";
  argv: string[];
  /** KEY=value entries; PATH gets Docker's default when absent, HOME comes from passwd. */
  env: string[];
  /** Working directory inside the container, created when missing. */
  cwd: string;
  /** "", "name", "uid", "name:group", "uid:gid", … resolved through the image's /etc/passwd and /etc/group. */
  user: string;
  /** Give the process a terminal (the caller passes the pty slave as its stdio). */
  tty?: boolean;
}

/** An in-process operation (COPY, WORKDIR mkdir) run by kiln's init through a registered OpHandler. */
export interface OpProcess {
  kind: "op";
  op: string;
  payload: unknown;
}

export interface ContainerSpec {
  /** 64 hex; the hostname defaults to id.slice(0, 12). */
  id: string;
  rootfs: { lowerDirs: string[] /* top-most first, may be [] */; upperDir: string; workDir: string };
  process: ExecProcess | OpProcess;
  network: "host" | "none";
  hostname?: string;
  mounts?: { source: string; target: string; readonly?: boolean }[];
  extraHosts?: { host: string; ip: string }[];
  /** Other images mounted read-only (for COPY --from): name → lower dirs top-most first. */
  extraRootfs?: Record<string, string[]>;
  /** Size of /dev/shm in bytes (--shm-size; default 64 MiB). Exec containers only. */
  shmSize?: number;
  /** Resource limits set just before the command is exec'd (--ulimit). Exec containers only. */
  ulimits?: Ulimit[];
  /** Docker's --privileged: every capability kiln has, no masked /proc paths, /sys writable. */
  privileged?: boolean;
  /** Docker's --cap-add / --cap-drop on its default set (names with or without CAP_, any case, ALL). */
  capAdd?: string[];
  capDrop?: string[];
  /** Docker's --security-opt seccomp=unconfined: no seccomp filter (privileged has none either). */
  seccompUnconfined?: boolean;
}

/**
 * Runs inside kiln's init. `OpHandler`s are registered by src/main.ts: they run
 * in the container's mount namespace after the overlay is mounted and before
 * pivot_root, so host paths in the payload (the build context) are reachable;
 * `rootfs` is the merged root, `extra` the mounted extraRootfs by name,
 * `upperDir` the overlay's upper dir (host path: an op may write a subtree the
 * merged root has never looked up straight into it, see build/ops.ts).
 */
export type OpHandler = (payload: unknown, ctx: { rootfs: string; extra: Record<string, string>; upperDir?: string }) => Promise<void>;

/** One overlay mount, as the init performs it. */
export interface OverlaySpec {
  lowerDirs: string[];
  upperDir?: string;
  workDir?: string;
  userxattr: boolean;
}

/** A mount point kiln needs in the container, kept in the init layer (init-layer.ts). */
export interface InitLayerEntry {
  /** Absolute path in the container. */
  path: string;
  kind: "dir" | "file";
  /**
   * Shadow an image symlink or file on the way (Docker does so for its own
   * files: an image whose /etc/resolv.conf is a symlink gets a plain file).
   * Without it such an entry is skipped and the init creates it itself.
   */
  shadow: boolean;
}

/**
 * What an exec container's init makes on a private tmpfs over the runtime
 * dir: the root's mount point (rootfs/), the init layer (init/, the top-most
 * lower dir) and kiln's /etc files.
 */
export interface ScratchSpec {
  dir: string;
  files: { name: string; content: string; target: string }[];
  initLayer: { lowerDirs: string[]; entries: InitLayerEntry[] };
}

/** The JSON file kiln's init reads (path in argv, content never in argv). */
export interface InitSpec {
  /** Status channel: the init writes one JSON line per event (see StatusEvent). */
  statusFd: number;
  /** Where the container root is mounted (in the runtime dir; on the scratch tmpfs for exec). */
  merged: string;
  /** Only for exec containers. */
  scratch?: ScratchSpec;
  overlay: OverlaySpec;
  /** extraRootfs name → [mount point, read-only overlay]. */
  extra: Record<string, { target: string; overlay: OverlaySpec }>;
  process: ExecProcess | OpProcess;
  /** Only for exec: the container's own pid/uts/ipc namespaces are set up. */
  hostname?: string;
  network: "host" | "none";
  mounts: { source: string; target: string; readonly: boolean }[];
  /** gid of the "tty" group for devpts, when mapped in this user namespace. */
  devptsGid?: number;
  /** /dev/shm size in bytes (default 64 MiB). */
  shmSize?: number;
  ulimits?: Ulimit[];
  /** Exec only: no masked paths, capabilities left alone. */
  privileged?: boolean;
  /** Exec only, unless privileged: the capability numbers the process keeps (capabilities.ts). */
  capabilities?: number[];
  /**
   * Exec only: the default seccomp filter (seccomp.ts) for this host and the
   * container's capabilities, assembled by kiln before the container starts
   * (once per capability set in a build), base64: assembling it in every
   * init cost ~1.2 ms of its start-up, interpreted cold.
   */
  seccomp?: string;
}

/** What the init reports on the status channel, one JSON object per line. */
export type StatusEvent =
  | { pid: number }
  | { created: string[] }
  /** fd number (in the init) of the terminal master; the parent takes it and answers "go". */
  | { pty: number }
  /** Set up, credentials dropped: only execve is left. */
  | { ready: true }
  | { error: { message: string; code?: string; hint?: string } }
  | { opError: { message: string; code?: string; hint?: string; name?: string } };

/** Docker's default PATH for containers whose environment has none. */
export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
