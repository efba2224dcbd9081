// sandbox/: real temporary containers. Namespaces come from util-linux
// `unshare`; kiln itself is the container's init (hidden mode `__init`),
// mounting an overlay root through libc (bun:ffi) and exec'ing the command.
// Contract (kiln-brief.md "sandbox/") implemented as written, with these notes:
// - runContainer throws SandboxError (exit 125) when the container cannot be
//   set up; a command that cannot be found exits 127 (126 if not executable),
//   with the reason on the container's stderr, as Docker does;
// - an op's error reaches the parent over the init's status pipe (not stderr)
//   and is rethrown with the same class, code, message and hint.
// - ContainerSpec adds shmSize (bytes of /dev/shm, default 64 MiB) and
//   ulimits (setrlimit just before execve; limits.ts parses Docker's flags).
// - ContainerSpec adds privileged, capAdd, capDrop: an exec container keeps
//   Docker's default capabilities and masked /proc paths unless privileged.
// - ContainerSpec adds seccompUnconfined: an exec container gets a default
//   seccomp filter (seccomp.ts) unless privileged or seccompUnconfined.
export type { ContainerSpec, ExecProcess, OpHandler, OpProcess } from "./spec.ts";
export { DEFAULT_PATH } from "./spec.ts";
export { resolveCapabilities, type CapabilityOptions } from "./capabilities.ts";
export { parseShmSize, parseUlimits, type Ulimit } from "./limits.ts";
export { runContainer, type RunIO, type RunResult } from "./container.ts";
export { runInit } from "./init.ts";
export { ensureUserNamespace } from "./rootless.ts";
export { mergeEnv, parseEnvFile, parseSecurityOpts, parseVolume, resolveCommand } from "./command-line.ts";
export { ContainerStore, randomName, type ContainerConfig, type ContainerRecord, type ContainerState } from "./records.ts";
export { removeContainer, runMonitor, runRecorded, startDetached, stopContainer } from "./lifecycle.ts";
export { readLog, writeAll, type LogCursor, type LogStream } from "./container-log.ts";
export { signalExitCode } from "./signals.ts";
export {
  appArmorProfile,
  checkKernel,
  checkOverlay,
  checkOverlayInUserns,
  checkStoreDir,
  checkSubIds,
  checkTools,
  checkUserNamespaceSysctls,
  hostFacts,
  type HostCheck,
} from "./host.ts";
export { LibcSys } from "./ffi.ts";
export type { Sys } from "./sys.ts";
