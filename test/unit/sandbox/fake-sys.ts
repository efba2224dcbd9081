// A recording Sys: every call is appended to `calls` as one readable line, so
// that tests can check the order of the init sequence without a kernel. File
// operations act on an in-memory set of paths; `files` seeds file contents.
import { constants } from "node:os";
import type { InitLayerEntry } from "../../../src/sandbox/spec.ts";
import { SysError, type CapabilitySets, type FsParams, type Sys } from "../../../src/sandbox/sys.ts";

export class ExecCalled extends Error {
  constructor(readonly path: string, readonly argv: string[], readonly env: string[]) {
    super(`execve ${path}`);
  }
}

export class FakeSys implements Sys {
  readonly calls: string[] = [];
  readonly paths = new Set<string>(["/"]);
  readonly dirs = new Set<string>(["/"]);
  readonly files = new Map<string, string>();
  readonly executables = new Set<string>();
  /** syscall name → errno code to fail with (once). */
  readonly failures = new Map<string, string>();
  /** Lines the parent "answers" on the status socket. */
  readonly answers: string[] = [];
  private nextFd = 10;

  private call(line: string, name: string): void {
    this.calls.push(line);
    const code = this.failures.get(name);
    if (code) {
      this.failures.delete(name);
      throw new SysError(name, (constants.errno as Record<string, number>)[code]!, line);
    }
  }

  mount(source: string, target: string, fstype: string | null, flags: number, data?: string): void {
    this.call(`mount ${fstype ?? "bind"} ${source} ${target}${flags ? ` flags=0x${flags.toString(16)}` : ""}${data ? ` ${data}` : ""}`, `mount ${fstype ?? "bind"}`);
  }
  umount(target: string, flags: number): void {
    this.call(`umount ${target} ${flags}`, "umount");
  }
  mountFs(target: string, fs: FsParams): void {
    this.call(`mountFs ${fs.fstype} ${target} ${fs.params.map(([k, v]) => (v === null ? k : `${k}=${v}`)).join(",")}`, "mountFs");
  }
  cloneMount(source: string, readonly: boolean): number {
    this.call(`cloneMount ${source}${readonly ? " ro" : ""}`, "cloneMount");
    return this.nextFd++;
  }
  attachMount(fd: number, target: string): void {
    this.call(`attachMount ${fd} ${target}`, "attachMount");
  }
  setReadonlyRecursive(target: string): void {
    this.call(`setReadonlyRecursive ${target}`, "setReadonlyRecursive");
  }
  pivotRoot(newRoot: string, putOld: string): void {
    this.call(`pivotRoot ${newRoot} ${putOld}`, "pivotRoot");
  }
  chdir(path: string): void {
    this.call(`chdir ${path}`, "chdir");
  }
  sethostname(name: string): void {
    this.call(`sethostname ${name}`, "sethostname");
  }
  setLoopbackUp(): void {
    this.call("setLoopbackUp", "setLoopbackUp");
  }
  openPty(ptmx: string): { master: number; index: number } {
    this.call(`openPty ${ptmx}`, "openPty");
    return { master: this.nextFd++, index: 0 };
  }
  openFile(path: string): number {
    this.call(`open ${path}`, "open");
    return this.nextFd++;
  }
  dup2(fd: number, target: number): void {
    this.call(`dup2 ${fd} ${target}`, "dup2");
  }
  closeFd(fd: number): void {
    this.call(`close ${fd}`, "close");
  }
  readLine(fd: number): string {
    this.call(`readLine ${fd}`, "readLine");
    return this.answers.shift() ?? "";
  }
  takeTerminal(fd: number): void {
    this.call(`takeTerminal ${fd}`, "takeTerminal");
  }
  setgroups(gids: number[]): void {
    this.call(`setgroups ${gids.join(",")}`, "setgroups");
  }
  setgid(gid: number): void {
    this.call(`setgid ${gid}`, "setgid");
  }
  setuid(uid: number): void {
    this.call(`setuid ${uid}`, "setuid");
    // The kernel clears a non-root thread's permitted and effective sets (no keep-caps).
    if (uid !== 0) this.caps = { ...this.caps, effective: 0n, permitted: 0n };
  }
  setParentDeathSignal(signal: number): void {
    this.call(`setParentDeathSignal ${signal}`, "setParentDeathSignal");
  }
  setCloexec(fd: number): void {
    this.call(`setCloexec ${fd}`, "setCloexec");
  }
  /** RLIMIT_* number → [soft, hard]; unset ones read as 1024:4096. */
  readonly rlimits = new Map<number, [number, number]>();
  getrlimit(resource: number): { soft: number; hard: number } {
    this.call(`getrlimit ${resource}`, "getrlimit");
    const [soft, hard] = this.rlimits.get(resource) ?? [1024, 4096];
    return { soft, hard };
  }
  setrlimit(resource: number, soft: number, hard: number): void {
    this.call(`setrlimit ${resource} ${soft}:${hard}`, "setrlimit");
    this.rlimits.set(resource, [soft, hard]);
  }
  /** The kernel's last capability (PR_CAPBSET_DROP of a higher one is EINVAL). */
  lastCap = 40;
  bounding = (1n << 41n) - 1n;
  caps: CapabilitySets = { effective: (1n << 41n) - 1n, permitted: (1n << 41n) - 1n, inheritable: 0n };
  dropBoundingCapability(cap: number): boolean {
    if (cap > this.lastCap) return false;
    this.call(`capbsetDrop ${cap}`, "capbsetDrop");
    this.bounding &= ~(1n << BigInt(cap));
    return true;
  }
  clearAmbientCapabilities(): void {
    this.call("clearAmbient", "clearAmbient");
  }
  getCapabilities(): CapabilitySets {
    return { ...this.caps };
  }
  setCapabilities(sets: CapabilitySets): void {
    this.call(`capset eff=${sets.effective.toString(16)} prm=${sets.permitted.toString(16)} inh=${sets.inheritable.toString(16)}`, "capset");
    this.caps = { ...sets };
  }
  installSeccompFilter(program: Uint8Array): void {
    this.call(`seccomp ${program.length / 8} insns`, "seccomp");
  }
  resetSignals(): void {
    this.call("resetSignals", "resetSignals");
  }
  execve(path: string, argv: string[], env: string[]): never {
    this.call(`execve ${path} ${JSON.stringify(argv)}`, "execve");
    throw new ExecCalled(path, argv, env);
  }
  exists(path: string): boolean {
    return this.paths.has(path);
  }
  realpath(path: string): string {
    return path;
  }
  isDirectory(path: string): boolean {
    return this.dirs.has(path);
  }
  isExecutable(path: string): boolean {
    return this.executables.has(path);
  }
  mkdir(path: string, mode: number): void {
    this.call(`mkdir ${path} ${mode.toString(8)}`, "mkdir");
    this.paths.add(path);
    this.dirs.add(path);
  }
  mkdirp(path: string, mode: number): void {
    this.call(`mkdirp ${path} ${mode.toString(8)}`, "mkdirp");
    this.paths.add(path);
    this.dirs.add(path);
  }
  writeFile(path: string, _data: string, mode: number): void {
    this.call(`writeFile ${path} ${mode.toString(8)}`, "writeFile");
    this.paths.add(path);
  }
  symlink(target: string, path: string): void {
    this.call(`symlink ${path} -> ${target}`, "symlink");
    this.paths.add(path);
  }
  readFile(path: string): string | undefined {
    return this.files.get(path);
  }
  writeFd(fd: number, data: string): void {
    this.calls.push(`write ${fd} ${data.trim()}`);
  }
  buildInitLayer(dir: string, lowerDirs: string[], entries: InitLayerEntry[]): InitLayerEntry[] {
    this.call(`buildInitLayer ${dir} over ${lowerDirs.join(":")} ${entries.map((e) => e.path).join(",")}`, "buildInitLayer");
    return [];
  }
}
