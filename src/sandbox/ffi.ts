// The real Sys: libc through bun:ffi. The only file of sandbox/ that dlopens
// libc; it makes no decisions, it only turns a -1 into a SysError with errno.
// Strings go in as NUL-terminated Buffers (Bun passes a TypedArray's address
// and keeps it alive for the call). libc is opened on first use.
import { dlopen, FFIType, ptr, read, type Pointer } from "bun:ffi";
import { closeSync, constants as fsc, openSync, readSync } from "node:fs";
import { NodeFileOps } from "./file-ops.ts";
import { SysError, type CapabilitySets, type FsParams, type Sys } from "./sys.ts";

const { ptr: p, u64, i64, i32, u32 } = FFIType;

function openLibc() {
  return dlopen("libc.so.6", {
    mount: { args: [p, p, p, u64, p], returns: i32 },
    umount2: { args: [p, i32], returns: i32 },
    fsopen: { args: [p, u32], returns: i32 },
    fsconfig: { args: [i32, u32, p, p, i32], returns: i32 },
    fsmount: { args: [i32, u32, u32], returns: i32 },
    move_mount: { args: [i32, p, i32, p, u32], returns: i32 },
    open_tree: { args: [i32, p, u32], returns: i32 },
    mount_setattr: { args: [i32, p, u32, p, u64], returns: i32 },
    // Integer arguments only (pointers via ptr()): one symbol serves every raw syscall.
    syscall: { args: [i64, u64, u64, u64], returns: i64 },
    chdir: { args: [p], returns: i32 },
    sethostname: { args: [p, u64], returns: i32 },
    socket: { args: [i32, i32, i32], returns: i32 },
    ioctl: { args: [i32, u64, p], returns: i32 },
    close: { args: [i32], returns: i32 },
    setsid: { args: [], returns: i32 },
    prctl: { args: [i32, u64, u64, u64, u64], returns: i32 },
    fcntl: { args: [i32, i32, i32], returns: i32 },
    signal: { args: [i32, p], returns: p },
    execve: { args: [p, p, p], returns: i32 },
    dup2: { args: [i32, i32], returns: i32 },
    pipe2: { args: [p, i32], returns: i32 },
    prlimit: { args: [i32, i32, p, p], returns: i32 },
    __errno_location: { args: [], returns: p },
  }).symbols;
}

type Libc = ReturnType<typeof openLibc>;
let libc: Libc | undefined;
/** libc's functions, opened once per process. */
export function libcSymbols(): Libc {
  libc ??= openLibc();
  return libc;
}

const cstr = (s: string): Buffer => Buffer.from(`${s}\0`);
const AT_FDCWD = -100;
const AT_EMPTY_PATH = 0x1000;
const AT_RECURSIVE = 0x8000;
const OPEN_TREE_CLONE = 0x1;
const O_CLOEXEC = 0o2000000;
const MOVE_MOUNT_F_EMPTY_PATH = 0x4;
const FSCONFIG_SET_FLAG = 0;
const FSCONFIG_SET_STRING = 1;
const FSCONFIG_CMD_CREATE = 6;
const MOUNT_ATTR_RDONLY = 0x1;
const SYS_PIVOT_ROOT = process.arch === "arm64" ? 41 : 155;
const SYS_CREDS = process.arch === "arm64" ? { setgroups: 159, setgid: 144, setuid: 146 } : { setgroups: 116, setgid: 106, setuid: 105 };
const IFF_UP = 0x1;
const SIOCGIFFLAGS = 0x8913;
const SIOCSIFFLAGS = 0x8914;
const TIOCSCTTY = 0x540e;
const TIOCSWINSZ = 0x5414;
const TIOCSPTLCK = 0x40045431;
const TIOCGPTN = 0x80045430;
const RLIM_INFINITY = 0xffff_ffff_ffff_ffffn;
const SYS_CAPGET = process.arch === "arm64" ? 90 : 125;
const SYS_CAPSET = process.arch === "arm64" ? 91 : 126;
/** _LINUX_CAPABILITY_VERSION_3: two 32-bit words per set. */
const CAP_VERSION_3 = 0x20080522;
const PR_CAPBSET_DROP = 24;
const PR_CAP_AMBIENT = 47;
const PR_CAP_AMBIENT_CLEAR_ALL = 4;
const EINVAL = 22;
const PR_SET_SECCOMP = 22;
const SECCOMP_MODE_FILTER = 2;
const SYS_PIDFD_OPEN = 434;
const SYS_PIDFD_GETFD = 438;

/** Throw the errno of the call that just failed (nothing runs in between on this thread). */
export function failWithErrno(syscall: string, path = ""): never {
  const l = libcSymbols();
  throw new SysError(syscall, read.i32(l.__errno_location() as Pointer, 0), path);
}

function check(rc: number | bigint, syscall: string, path = ""): number {
  if (Number(rc) < 0) failWithErrno(syscall, path);
  return Number(rc);
}

/** struct mount_attr { u64 attr_set, attr_clr, propagation, userns_fd } with MOUNT_ATTR_RDONLY set. */
function readonlyAttr(): BigUint64Array {
  return new BigUint64Array([BigInt(MOUNT_ATTR_RDONLY), 0n, 0n, 0n]);
}

/** A NULL-terminated char*[] for execve; `keep` holds the strings alive until the call. */
function cstrArray(items: string[], keep: Buffer[]): BigUint64Array {
  const arr = new BigUint64Array(items.length + 1);
  items.forEach((s, i) => {
    const b = cstr(s);
    keep.push(b);
    arr[i] = BigInt(ptr(b));
  });
  return arr;
}

export class LibcSys extends NodeFileOps implements Sys {
  private get l(): Libc {
    return libcSymbols();
  }


  mount(source: string, target: string, fstype: string | null, flags: number, data?: string): void {
    const rc = this.l.mount(cstr(source), cstr(target), fstype === null ? null : cstr(fstype), BigInt(flags), data === undefined ? null : cstr(data));
    check(rc, `mount ${fstype ?? "bind"}`, target);
  }

  umount(target: string, flags: number): void {
    check(this.l.umount2(cstr(target), flags), "umount2", target);
  }

  mountFs(target: string, fs: FsParams): void {
    const fsfd = check(this.l.fsopen(cstr(fs.fstype), 1 /* FSOPEN_CLOEXEC */), "fsopen", fs.fstype);
    try {
      for (const [key, value] of fs.params) {
        const rc = value === null
          ? this.l.fsconfig(fsfd, FSCONFIG_SET_FLAG, cstr(key), null, 0)
          : this.l.fsconfig(fsfd, FSCONFIG_SET_STRING, cstr(key), cstr(value), 0);
        check(rc, `fsconfig ${key}`, value ?? "");
      }
      check(this.l.fsconfig(fsfd, FSCONFIG_CMD_CREATE, null, null, 0), `fsconfig create ${fs.fstype}`, target);
      const mfd = check(this.l.fsmount(fsfd, 1 /* FSMOUNT_CLOEXEC */, 0), "fsmount", target);
      try {
        this.attachMount(mfd, target);
      } finally {
        this.l.close(mfd);
      }
    } finally {
      this.l.close(fsfd);
    }
  }

  cloneMount(source: string, readonly: boolean): number {
    const fd = check(this.l.open_tree(AT_FDCWD, cstr(source), OPEN_TREE_CLONE | O_CLOEXEC | AT_RECURSIVE), "open_tree", source);
    if (readonly) {
      const attr = readonlyAttr();
      check(this.l.mount_setattr(fd, cstr(""), AT_EMPTY_PATH | AT_RECURSIVE, attr, BigInt(attr.byteLength)), "mount_setattr", source);
    }
    return fd;
  }

  attachMount(fd: number, target: string): void {
    check(this.l.move_mount(fd, cstr(""), AT_FDCWD, cstr(target), MOVE_MOUNT_F_EMPTY_PATH), "move_mount", target);
  }

  setReadonlyRecursive(target: string): void {
    const attr = readonlyAttr();
    check(this.l.mount_setattr(AT_FDCWD, cstr(target), AT_RECURSIVE, attr, BigInt(attr.byteLength)), "mount_setattr", target);
  }

  pivotRoot(newRoot: string, putOld: string): void {
    const a = cstr(newRoot);
    const b = cstr(putOld);
    check(this.l.syscall(SYS_PIVOT_ROOT, BigInt(ptr(a)), BigInt(ptr(b)), 0n), "pivot_root", newRoot);
  }

  chdir(path: string): void {
    check(this.l.chdir(cstr(path)), "chdir", path);
  }

  sethostname(name: string): void {
    const b = Buffer.from(name);
    check(this.l.sethostname(b, BigInt(b.length)), "sethostname", name);
  }

  setLoopbackUp(): void {
    const fd = check(this.l.socket(2 /* AF_INET */, 2 /* SOCK_DGRAM */ | O_CLOEXEC, 0), "socket");
    try {
      // struct ifreq: char ifr_name[16], then a union whose first short is ifr_flags.
      const ifr = new Uint8Array(40);
      ifr.set(Buffer.from("lo"));
      check(this.l.ioctl(fd, BigInt(SIOCGIFFLAGS), ifr), "ioctl SIOCGIFFLAGS", "lo");
      const view = new DataView(ifr.buffer);
      view.setInt16(16, view.getInt16(16, true) | IFF_UP, true);
      check(this.l.ioctl(fd, BigInt(SIOCSIFFLAGS), ifr), "ioctl SIOCSIFFLAGS", "lo");
    } finally {
      this.l.close(fd);
    }
  }

  openPty(ptmx: string): { master: number; index: number } {
    const master = openSync(ptmx, fsc.O_RDWR | fsc.O_NOCTTY | O_CLOEXEC);
    const n = new Int32Array(1);
    check(this.l.ioctl(master, BigInt(TIOCSPTLCK), n), "ioctl TIOCSPTLCK", ptmx);
    check(this.l.ioctl(master, BigInt(TIOCGPTN), n), "ioctl TIOCGPTN", ptmx);
    return { master, index: n[0]! };
  }

  openFile(path: string, flags: number): number {
    return openSync(path, flags);
  }

  dup2(fd: number, target: number): void {
    check(this.l.dup2(fd, target), "dup2", String(target));
  }

  closeFd(fd: number): void {
    closeSync(fd);
  }

  readLine(fd: number): string {
    const buf = Buffer.alloc(1);
    let line = "";
    while (readSync(fd, buf, 0, 1, null) === 1 && buf[0] !== 10) line += String.fromCharCode(buf[0]!);
    return line;
  }

  takeTerminal(fd: number): void {
    check(this.l.setsid(), "setsid");
    check(this.l.ioctl(fd, BigInt(TIOCSCTTY), null), "ioctl TIOCSCTTY");
  }

  // Credentials through the raw system calls: glibc's wrappers change every
  // thread of the process (a signal to each of Bun's threads, and a wait for
  // all of them, three times over); the raw calls change only this thread,
  // which is enough because this thread execs the command right after.
  setgroups(gids: number[]): void {
    const list = new Uint32Array(gids.length || 1);
    list.set(gids);
    check(this.l.syscall(SYS_CREDS.setgroups, BigInt(gids.length), BigInt(ptr(list)), 0n), "setgroups");
  }

  setgid(gid: number): void {
    check(this.l.syscall(SYS_CREDS.setgid, BigInt(gid), 0n, 0n), "setgid", String(gid));
  }

  setuid(uid: number): void {
    check(this.l.syscall(SYS_CREDS.setuid, BigInt(uid), 0n, 0n), "setuid", String(uid));
  }

  setParentDeathSignal(signal: number): void {
    check(this.l.prctl(1 /* PR_SET_PDEATHSIG */, BigInt(signal), 0n, 0n, 0n), "prctl PR_SET_PDEATHSIG");
  }

  setCloexec(fd: number): void {
    check(this.l.fcntl(fd, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */), "fcntl F_SETFD", String(fd));
  }

  // struct rlimit { rlim_t rlim_cur, rlim_max } (u64 each); pid 0 is this process.
  getrlimit(resource: number): { soft: number; hard: number } {
    const lim = new BigUint64Array(2);
    check(this.l.prlimit(0, resource, null, lim), "prlimit", String(resource));
    const n = (v: bigint) => (v === RLIM_INFINITY ? -1 : Number(v));
    return { soft: n(lim[0]!), hard: n(lim[1]!) };
  }

  setrlimit(resource: number, soft: number, hard: number): void {
    const v = (n: number) => (n === -1 ? RLIM_INFINITY : BigInt(n));
    check(this.l.prlimit(0, resource, new BigUint64Array([v(soft), v(hard)]), null), "prlimit", String(resource));
  }

  dropBoundingCapability(cap: number): boolean {
    if (this.l.prctl(PR_CAPBSET_DROP, BigInt(cap), 0n, 0n, 0n) === 0) return true;
    const errno = read.i32(this.l.__errno_location() as Pointer, 0);
    if (errno === EINVAL) return false;
    throw new SysError("prctl PR_CAPBSET_DROP", errno, String(cap));
  }

  clearAmbientCapabilities(): void {
    check(this.l.prctl(PR_CAP_AMBIENT, BigInt(PR_CAP_AMBIENT_CLEAR_ALL), 0n, 0n, 0n), "prctl PR_CAP_AMBIENT_CLEAR_ALL");
  }

  // struct __user_cap_header_struct { u32 version; int pid } (pid 0: this
  // thread) and two struct __user_cap_data_struct { u32 effective, permitted,
  // inheritable }: the low 32 capabilities, then the high ones.
  getCapabilities(): CapabilitySets {
    const header = new Uint32Array([CAP_VERSION_3, 0]);
    const data = new Uint32Array(6);
    check(this.l.syscall(SYS_CAPGET, BigInt(ptr(header)), BigInt(ptr(data)), 0n), "capget");
    const set = (i: number) => (BigInt(data[i + 3]!) << 32n) | BigInt(data[i]!);
    return { effective: set(0), permitted: set(1), inheritable: set(2) };
  }

  setCapabilities(sets: CapabilitySets): void {
    const words = [sets.effective, sets.permitted, sets.inheritable];
    const data = new Uint32Array([...words.map((w) => Number(w & 0xffff_ffffn)), ...words.map((w) => Number(w >> 32n))]);
    const header = new Uint32Array([CAP_VERSION_3, 0]);
    check(this.l.syscall(SYS_CAPSET, BigInt(ptr(header)), BigInt(ptr(data)), 0n), "capset");
  }

  // struct sock_fprog { unsigned short len; struct sock_filter *filter; }: the pointer at offset 8.
  installSeccompFilter(program: Uint8Array): void {
    const fprog = new BigUint64Array([BigInt(program.length / 8), BigInt(ptr(program))]);
    check(this.l.prctl(PR_SET_SECCOMP, BigInt(SECCOMP_MODE_FILTER), BigInt(ptr(fprog)), 0n, 0n), "prctl PR_SET_SECCOMP");
  }

  resetSignals(): void {
    for (const sig of [13 /* SIGPIPE */, 25 /* SIGXFSZ */]) this.l.signal(sig, null);
  }

  execve(path: string, argv: string[], env: string[]): never {
    const keep: Buffer[] = [];
    const file = cstr(path);
    const av = cstrArray(argv, keep);
    const ev = cstrArray(env, keep);
    this.l.execve(file, av, ev);
    failWithErrno("execve", path);
  }

}

/**
 * Take a copy of another process's fd (pidfd_getfd, Linux ≥ 5.6): how kiln
 * receives the terminal master the init opened inside the container's devpts.
 */
export function takeFdFrom(pid: number, fd: number): number {
  const l = libcSymbols();
  const pidfd = check(l.syscall(SYS_PIDFD_OPEN, BigInt(pid), 0n, 0n), "pidfd_open", String(pid));
  try {
    return check(l.syscall(SYS_PIDFD_GETFD, BigInt(pidfd), BigInt(fd), 0n), "pidfd_getfd", String(fd));
  } finally {
    l.close(pidfd);
  }
}

/**
 * pipe2(O_CLOEXEC): a real pipe for a container's stdout or stderr. Bun's
 * "pipe" stdio is a socketpair, and on a socket `echo > /dev/stdout` fails
 * (ENXIO); a pipe is what the process sees without kiln in between.
 */
export function makePipe(): { read: number; write: number } {
  const fds = new Int32Array(2);
  check(libcSymbols().pipe2(fds, O_CLOEXEC), "pipe2");
  return { read: fds[0]!, write: fds[1]! };
}

/** TIOCSWINSZ: tell the terminal (and the process on it, via SIGWINCH) its size. */
export function setWindowSize(fd: number, rows: number, cols: number): void {
  const ws = new Uint16Array([rows, cols, 0, 0]);
  check(libcSymbols().ioctl(fd, BigInt(TIOCSWINSZ), ws), "ioctl TIOCSWINSZ");
}
