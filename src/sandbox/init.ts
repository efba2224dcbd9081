// kiln's container init: kiln itself, re-executed as `kiln __init SPEC` by
// `unshare` inside fresh namespaces (unshare.ts). It reads the InitSpec the
// parent wrote, builds the container root, and execs the command (or runs an
// in-process op). Reports go to the parent on a status pipe (fd 3), one JSON
// line each: our host pid (for signal forwarding), the mount points we had to
// create, or the error that stopped us.
import { readFileSync, readlinkSync } from "node:fs";
import { KilnError, SandboxError } from "../errors.ts";
import { maskKernelPaths } from "./confine.ts";
import { execProcess } from "./exec.ts";
import { LibcSys } from "./ffi.ts";
import { bindFiles, mountDev, mountOverlay, mountProc, mountScratch, mountSys, openContainerTerminal } from "./mounts.ts";
import type { ExecProcess, InitSpec, OpHandler, OpProcess, StatusEvent } from "./spec.ts";
import { MNT_DETACH, SysError, type Sys } from "./sys.ts";
import { attachUserMounts, cloneUserMounts } from "./user-mounts.ts";

const SIGKILL = 9;
/** Exit status of the init when the container could not be set up (Docker's "daemon error" status). */
export const EXIT_SETUP_FAILED = 125;

function report(sys: Sys, spec: InitSpec, event: StatusEvent): void {
  sys.writeFd(spec.statusFd, `${JSON.stringify(event)}\n`);
}

/**
 * The parent relays the terminal: it copies our master fd (pidfd_getfd) and
 * answers on the status socket; only then may we close ours (closing the
 * last master would hang up the terminal before the command even starts).
 */
function handOverTerminal(sys: Sys, spec: InitSpec, master: number): void {
  report(sys, spec, { pty: master });
  const answer = sys.readLine(spec.statusFd);
  if (answer !== "go") throw new SandboxError("E_SANDBOX", "kiln did not take the container's terminal");
  sys.closeFd(master);
}

/**
 * Build the container and exec its command. Each step depends on the ones
 * before it; the numbers are the order, the comments the reason.
 */
export function setupContainer(sys: Sys, spec: InitSpec & { process: ExecProcess }, hostPid: number): never {
  const root = spec.merged;
  // 1. Tell the parent our pid as the host sees it, so that it can forward
  //    signals straight to the command (this process becomes the command).
  report(sys, spec, { pid: hostPid });
  // 2. Our scratch tmpfs (mount point, init layer, /etc files) and then the
  //    root file system on it: every later mount point lives inside the root.
  //    The mount namespace is already private (unshare --propagation private),
  //    so nothing here propagates to the host.
  const scratch = spec.scratch!;
  mountScratch(sys, scratch);
  mountOverlay(sys, root, spec.overlay);
  // 3. /proc of our own pid namespace (we are its pid 1), /dev, /sys. The
  //    mount-point stubs for these and for the bind-mounted files come from the
  //    init layer (a lower dir), so none of them lands in the upper dir.
  mountProc(sys, root);
  mountDev(sys, root, { devptsGid: spec.devptsGid, shmSize: spec.shmSize });
  if (spec.process.tty) handOverTerminal(sys, spec, openContainerTerminal(sys, root));
  mountSys(sys, root, !spec.privileged);
  // Docker's masked and read-only kernel paths, on the fresh /proc and /sys.
  if (!spec.privileged) maskKernelPaths(sys, root);
  bindFiles(sys, root, scratch);
  // 4. User bind mounts are cloned now, while host paths still resolve on the
  //    host; they are attached after pivot_root, where their targets resolve
  //    inside the container (an image's symlink cannot point them at the host).
  const userMounts = cloneUserMounts(sys, spec.mounts);
  // 5. Hostname and loopback belong to our uts/net namespaces.
  if (spec.hostname !== undefined) sys.sethostname(spec.hostname);
  if (spec.network === "none") sys.setLoopbackUp();
  // 6. pivot_root, not chroot: the old root is unreachable afterwards. With
  //    new_root == put_old the old root is stacked under "." and detached at
  //    once, so no `.oldroot` directory is ever created in the container.
  sys.chdir(root);
  sys.pivotRoot(".", ".");
  sys.umount(".", MNT_DETACH);
  sys.chdir("/");
  // 7. Bind mounts at their targets; report the stubs we had to create so the
  //    parent can remove them from the upper dir after the container exits.
  const created = attachUserMounts(sys, userMounts);
  if (created.length > 0) report(sys, spec, { created });
  // 8. The working directory (created when missing, as Docker does).
  if (!sys.isDirectory(spec.process.cwd)) sys.mkdirp(spec.process.cwd, 0o755);
  sys.chdir(spec.process.cwd);
  // 9. The status pipe must not leak into the command: close it at execve.
  sys.setCloexec(spec.statusFd);
  // 10. Resource limits, seccomp filter, capabilities, credentials, then execve: this process becomes the command.
  return execProcess(sys, spec, () => report(sys, spec, { ready: true }));
}

/**
 * Run an op: only a mount namespace, the overlay root and the read-only extra
 * roots, then kiln's own handler on them (host paths still visible).
 */
export async function runOp(sys: Sys, spec: InitSpec & { process: OpProcess }, ops: Record<string, OpHandler>): Promise<void> {
  // unshare exec'd us without forking: our parent is kiln; die with it.
  sys.setParentDeathSignal(SIGKILL);
  // An op is real work (a COPY of thousands of files): back to JSC's normal
  // tier-up thresholds (the binary starts with a slower JIT policy, scripts/build.ts).
  Bun.unsafe.setJITPolicy?.(1);
  const handler = ops[spec.process.op];
  if (!handler) throw new SandboxError("E_SANDBOX", `unknown container op "${spec.process.op}"`);
  mountOverlay(sys, spec.merged, spec.overlay);
  const extra: Record<string, string> = {};
  for (const [name, e] of Object.entries(spec.extra)) {
    mountOverlay(sys, e.target, e.overlay, true);
    extra[name] = e.target;
  }
  await handler(spec.process.payload, { rootfs: spec.merged, extra, upperDir: spec.overlay.upperDir });
}

/** A failed system call as a SandboxError with advice; KilnErrors pass through. */
export function describeInitError(err: unknown): { message: string; code?: string; hint?: string; name?: string } {
  if (err instanceof KilnError) return { message: err.message, code: err.code, hint: err.hint, name: err.name };
  if (err instanceof SysError) {
    const hint =
      err.syscall.startsWith("set") && err.code === "EINVAL"
        ? "That id is not mapped in kiln's user namespace: give your user sub-ids (usermod --add-subuids 100000-165535 --add-subgids 100000-165535 $USER) and install uidmap."
        : err.code === "EPERM" || err.code === "EACCES"
          ? "The kernel refused a namespace operation; run 'kiln doctor'."
          : undefined;
    return { message: `container setup failed: ${err.message}`, code: "E_SANDBOX", hint };
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

/** Hidden mode `kiln __init SPEC_PATH`: never returns. (`sys` is replaceable for benchmarks of the init.) */
export async function runInit(argv: string[], ops: Record<string, OpHandler>, sys: Sys = new LibcSys()): Promise<never> {
  const specPath = argv[argv.length - 1]!;
  const spec = JSON.parse(readFileSync(specPath, "utf8")) as InitSpec;
  const isOp = spec.process.kind === "op";
  try {
    if (spec.process.kind === "op") {
      await runOp(sys, spec as InitSpec & { process: OpProcess }, ops);
      process.exit(0);
    }
    // /proc is still the host's here: /proc/self names our pid as the host sees it.
    setupContainer(sys, spec as InitSpec & { process: ExecProcess }, Number(readlinkSync("/proc/self")));
  } catch (err) {
    const info = describeInitError(err);
    report(sys, spec, isOp ? { opError: info } : { error: info });
    process.exit(isOp ? 1 : EXIT_SETUP_FAILED);
  }
}
