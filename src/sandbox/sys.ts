// The seam between kiln's container init and the kernel. Every call the init
// makes (mounts, pivot_root, credentials, execve, and the few file operations
// on the new root) goes through `Sys`, so that the order of the sequence can be
// checked against a recording fake (test/unit/sandbox) and the real thing,
// ffi.ts, stays a thin list of libc calls with no decisions in it.
import type { InitLayerEntry } from "./spec.ts";

// The errno error every Sys call throws, shared with layer/'s own libc calls.
export { SysError } from "../util/sys-error.ts";

/** mount(2) flags (include/uapi/linux/mount.h). */
export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MS_STRICTATIME = 0x1000000;
/** umount2(2): detach now, finish when the mount is no longer busy. */
export const MNT_DETACH = 0x2;

/** One file system to mount with the new mount API (fsopen, fsconfig, fsmount, move_mount). */
export interface FsParams {
  fstype: string;
  /** fsconfig(FSCONFIG_SET_STRING) pairs in order; a `null` value is FSCONFIG_SET_FLAG. */
  params: [key: string, value: string | null][];
}

/** A thread's capability sets as bitmasks (bit N = capability N). */
export interface CapabilitySets {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

export interface Sys {
  mount(source: string, target: string, fstype: string | null, flags: number, data?: string): void;
  umount(target: string, flags: number): void;
  /** Mount through fsopen/fsconfig: no page-size limit on the options (overlay `lowerdir+`). */
  mountFs(target: string, fs: FsParams): void;
  /** A detached copy of the mount tree at `source` (open_tree CLONE|RECURSIVE), readonly if asked; returns its fd. */
  cloneMount(source: string, readonly: boolean): number;
  /** Attach a detached mount fd from cloneMount at `target` (move_mount). */
  attachMount(fd: number, target: string): void;
  /** Make the mount at `target` and every mount below it read-only (mount_setattr AT_RECURSIVE). */
  setReadonlyRecursive(target: string): void;
  pivotRoot(newRoot: string, putOld: string): void;
  chdir(path: string): void;
  sethostname(name: string): void;
  /** ifconfig lo up: the only interface of a fresh network namespace starts down. */
  setLoopbackUp(): void;
  /** Open a new terminal through `ptmx` (a devpts instance's) and unlock it; `index` names /dev/pts/N. */
  openPty(ptmx: string): { master: number; index: number };
  openFile(path: string, flags: number): number;
  dup2(fd: number, target: number): void;
  closeFd(fd: number): void;
  /** Blocking read of one line from fd (the parent's answers on the status socket). */
  readLine(fd: number): string;
  /** New session, and fd becomes its controlling terminal (TIOCSCTTY). */
  takeTerminal(fd: number): void;
  setgroups(gids: number[]): void;
  setgid(gid: number): void;
  setuid(uid: number): void;
  /** Die with SIGKILL when the parent process dies. */
  setParentDeathSignal(signal: number): void;
  setCloexec(fd: number): void;
  /** The process's resource limit (RLIMIT_* number); -1 is unlimited. */
  getrlimit(resource: number): { soft: number; hard: number };
  /** Set a resource limit of this process (prlimit); -1 is unlimited. */
  setrlimit(resource: number, soft: number, hard: number): void;
  /** prctl(PR_CAPBSET_DROP) for this thread; false when the kernel has no such capability (EINVAL). */
  dropBoundingCapability(cap: number): boolean;
  /** prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL). */
  clearAmbientCapabilities(): void;
  /** capget(2) of this thread. */
  getCapabilities(): CapabilitySets;
  /** capset(2) of this thread (only lowering needs no privilege). */
  setCapabilities(sets: CapabilitySets): void;
  /** prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER) with a classic BPF program (struct sock_filter bytes), this thread only. */
  installSeccompFilter(program: Uint8Array): void;
  /** SIGPIPE and SIGXFSZ back to their defaults: Bun ignores them, and ignored signals survive execve. */
  resetSignals(): void;
  /** Replace this process; returns only by throwing. */
  execve(path: string, argv: string[], env: string[]): never;

  // File operations on the container's root, here so the fake can record them.
  exists(path: string): boolean;
  /** The path with every symlink resolved (in the current root). */
  realpath(path: string): string;
  isDirectory(path: string): boolean;
  isExecutable(path: string): boolean;
  mkdir(path: string, mode: number): void;
  mkdirp(path: string, mode: number): void;
  writeFile(path: string, data: string, mode: number): void;
  symlink(target: string, path: string): void;
  readFile(path: string): string | undefined;
  writeFd(fd: number, data: string): void;
  /** Build the init layer in `dir` (init-layer.ts); returns the entries it had to skip. */
  buildInitLayer(dir: string, lowerDirs: string[], entries: InitLayerEntry[]): InitLayerEntry[];
}
