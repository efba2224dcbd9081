// The mounts of a container root, each a small step the init sequence calls
// in order (init.ts says why that order). All paths are host paths of the
// merged root, before pivot_root.
import { SandboxError } from "../errors.ts";
import { shmSizeOption } from "./limits.ts";
import { planOverlayMount } from "./overlay.ts";
import type { OverlaySpec, ScratchSpec } from "./spec.ts";
import { MS_BIND, MS_NODEV, MS_NOEXEC, MS_NOSUID, MS_RDONLY, MS_STRICTATIME, SysError, type Sys } from "./sys.ts";

const O_RDWR = 0o2;
const O_NOCTTY = 0o400;

/** Host devices a container sees, bind-mounted (mknod is not allowed in a user namespace). */
export const DEVICES = ["null", "zero", "full", "random", "urandom", "tty"] as const;

/** Translate a failed overlay mount into what the user can do about it. */
function overlayError(err: unknown, target: string): unknown {
  if (!(err instanceof SysError)) return err;
  const hints: Record<string, string> = {
    EPERM: "Overlay mounts in a user namespace need Linux ≥ 5.11; run 'kiln doctor'.",
    EINVAL: "The store must be on a file system overlayfs accepts as upper dir (ext4, xfs, btrfs, tmpfs), not on overlayfs itself; run 'kiln doctor'.",
    ENODEV: "This kernel has no overlayfs: load it with 'modprobe overlay'.",
    ENOSPC: "Too many mounts: the kernel's mount limit (fs.mount-max) was reached.",
  };
  return new SandboxError("E_NO_OVERLAY", `cannot mount the container's overlay root at ${target}: ${err.code}`, {
    hint: hints[err.code] ?? "Run 'kiln doctor' to check this host.",
    cause: err,
  });
}

/** Mount an overlay: one mount(2) when its options fit a page, fsconfig `lowerdir+` otherwise. */
export function mountOverlay(sys: Sys, target: string, o: OverlaySpec, readonly = false): void {
  const plan = planOverlayMount(o);
  try {
    if (plan.api === "mount") sys.mount("overlay", target, "overlay", readonly ? MS_RDONLY : 0, plan.data);
    else sys.mountFs(target, plan.fs);
  } catch (err) {
    throw overlayError(err, target);
  }
}

/** A fresh procfs of the container's own pid namespace. */
export function mountProc(sys: Sys, root: string): void {
  sys.mount("proc", `${root}/proc`, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC);
}

/**
 * A minimal /dev on a tmpfs: host devices bind-mounted, a private devpts
 * instance (ptmx points into it), /dev/shm (`shmSize` bytes, 64 MiB by
 * default) and the fd links.
 */
export function mountDev(sys: Sys, root: string, opts: { devptsGid?: number; shmSize?: number }): void {
  const dev = `${root}/dev`;
  sys.mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_STRICTATIME, "mode=755,size=65536k");
  for (const name of DEVICES) {
    sys.writeFile(`${dev}/${name}`, "", 0o666);
    sys.mount(`/dev/${name}`, `${dev}/${name}`, null, MS_BIND);
  }
  sys.mkdir(`${dev}/pts`, 0o755);
  const gid = opts.devptsGid === undefined ? "" : `,gid=${opts.devptsGid}`;
  sys.mount("devpts", `${dev}/pts`, "devpts", MS_NOSUID | MS_NOEXEC, `newinstance,ptmxmode=0666,mode=0620${gid}`);
  sys.symlink("pts/ptmx", `${dev}/ptmx`);
  sys.mkdir(`${dev}/shm`, 0o1777);
  sys.mount("shm", `${dev}/shm`, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, `mode=1777,${shmSizeOption(opts.shmSize)}`);
  const links: [string, string][] = [["/proc/self/fd", "fd"], ["/proc/self/fd/0", "stdin"], ["/proc/self/fd/1", "stdout"], ["/proc/self/fd/2", "stderr"], ["/proc/kcore", "core"]];
  for (const [target, name] of links) sys.symlink(target, `${dev}/${name}`);
}

/**
 * The process's terminal, opened inside the container's own devpts (so that
 * `tty` names /dev/pts/0 there and no host terminal is visible): it becomes
 * stdin/stdout/stderr and /dev/console. Returns the master fd for the parent.
 */
export function openContainerTerminal(sys: Sys, root: string): number {
  const dev = `${root}/dev`;
  const { master, index } = sys.openPty(`${dev}/pts/ptmx`);
  const slavePath = `${dev}/pts/${index}`;
  const slave = sys.openFile(slavePath, O_RDWR | O_NOCTTY);
  for (const fd of [0, 1, 2]) sys.dup2(slave, fd);
  sys.closeFd(slave);
  sys.writeFile(`${dev}/console`, "", 0o600);
  sys.mount(slavePath, `${dev}/console`, null, MS_BIND);
  return master;
}

/**
 * /sys, read-only unless privileged. A new sysfs needs a network namespace
 * owned by our user namespace (real root, or network "none"); rootless with
 * the host's network gets a recursive bind of the host's /sys instead.
 */
export function mountSys(sys: Sys, root: string, readonly = true): void {
  try {
    sys.mount("sysfs", `${root}/sys`, "sysfs", (readonly ? MS_RDONLY : 0) | MS_NOSUID | MS_NODEV | MS_NOEXEC);
  } catch (err) {
    if (!(err instanceof SysError) || err.code !== "EPERM") throw err;
    sys.attachMount(sys.cloneMount("/sys", readonly), `${root}/sys`);
  }
}

/**
 * The scratch tmpfs over the runtime dir: the root's mount point, kiln's /etc
 * files and the init layer. File creation there costs next to nothing (the
 * store's disk pays a journal and metadata writes for each), and all of it
 * vanishes with the mount namespace, so nothing needs cleaning up.
 */
export function mountScratch(sys: Sys, scratch: ScratchSpec): void {
  sys.mount("tmpfs", scratch.dir, "tmpfs", MS_NOSUID | MS_NODEV, "mode=755,size=16m");
  sys.mkdir(`${scratch.dir}/rootfs`, 0o755);
  for (const f of scratch.files) sys.writeFile(`${scratch.dir}/${f.name}`, f.content, 0o644);
  sys.buildInitLayer(`${scratch.dir}/init`, scratch.initLayer.lowerDirs, scratch.initLayer.entries);
}

/** Bind kiln's /etc files (hosts, resolv.conf, hostname) over their stubs from the init layer. */
export function bindFiles(sys: Sys, root: string, scratch: ScratchSpec): void {
  for (const f of scratch.files) sys.mount(`${scratch.dir}/${f.name}`, `${root}${f.target}`, null, MS_BIND);
}
