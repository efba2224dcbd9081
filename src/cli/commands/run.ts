import { defineCommand } from "citty";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { KilnError, UsageError } from "../../errors.ts";
import { hostPlatform } from "../../image/index.ts";
import {
  ContainerStore,
  mergeEnv,
  parseEnvFile,
  parseSecurityOpts,
  parseShmSize,
  parseUlimits,
  parseVolume,
  resolveCapabilities,
  resolveCommand,
  runRecorded,
  startDetached,
  type ContainerSpec,
} from "../../sandbox/index.ts";
import type { Store } from "../../store/index.ts";
import type { KilnArgDef } from "../flags.ts";
import { logger } from "../logger.ts";
import { openStore, printOut } from "./_shared.ts";

const args = {
  rm: { type: "boolean", description: "Automatically remove the container when it exits" },
  name: { type: "string", description: "Assign a name to the container", valueHint: "string" },
  env: { type: "string", alias: ["e"], multiple: true, description: "Set environment variables", valueHint: "list" },
  "env-file": { type: "string", multiple: true, description: "Read in a file of environment variables", valueHint: "list" },
  volume: { type: "string", alias: ["v"], multiple: true, description: "Bind mount a volume (HOST:CONTAINER[:ro])", valueHint: "list" },
  workdir: { type: "string", alias: ["w"], description: "Working directory inside the container", valueHint: "string" },
  user: { type: "string", alias: ["u"], description: "Username or UID (format: <name|uid>[:<group|gid>])", valueHint: "string" },
  entrypoint: { type: "string", description: "Overwrite the default ENTRYPOINT of the image", valueHint: "string" },
  network: { type: "enum", options: ["host", "none"], default: "host", description: "Connect a container to a network (host or none)" },
  interactive: { type: "boolean", alias: ["i"], description: "Keep STDIN open even if not attached" },
  tty: { type: "boolean", alias: ["t"], description: "Allocate a pseudo-TTY" },
  hostname: { type: "string", alias: ["h"], description: "Container host name", valueHint: "string" },
  detach: { type: "boolean", alias: ["d"], description: "Run container in background and print container ID" },
  "shm-size": { type: "string", description: "Size of /dev/shm (e.g. 64m, 1g; default 64m)", valueHint: "bytes" },
  ulimit: { type: "string", multiple: true, description: "Ulimit options (NAME=SOFT[:HARD], e.g. nofile=1024:2048)", valueHint: "ulimit" },
  "cap-add": { type: "string", multiple: true, description: "Add Linux capabilities (e.g. NET_ADMIN, ALL)", valueHint: "list" },
  "cap-drop": { type: "string", multiple: true, description: "Drop Linux capabilities (e.g. CHOWN, ALL)", valueHint: "list" },
  privileged: { type: "boolean", description: "Give extended privileges to this container (all capabilities, no masked /proc paths, no seccomp filter)" },
  "security-opt": { type: "string", multiple: true, description: "Security Options (only seccomp=unconfined)", valueHint: "list" },
  image: { type: "positional", description: "Image to run" },
  command: { type: "positional", rest: true, required: false, description: "Command and arguments" },
} as const satisfies Record<string, KilnArgDef>;

/** A repeated flag or the trailing command: kiln's flag parser collects them as arrays. */
const list = (v: unknown): string[] => (Array.isArray(v) ? (v as string[]) : []);

/** The image, pulled first when it is not in the store (as `docker run` does). */
async function imageFor(store: Store, ref: string) {
  const found = await store.findImage(ref);
  if (found) return found;
  process.stderr.write(`Unable to find image '${ref}' locally\n`);
  const [{ pullImage }, { StoreAdapter }] = await Promise.all([import("../../registry/index.ts"), import("./_registry-store.ts")]);
  using sink = new StoreAdapter(store);
  const r = await pullImage(ref, sink, { platform: hostPlatform(), logger: { debug: (m) => logger.debug(m), warn: (m) => logger.warn(m) } });
  return store.getImage(r.id);
}

/** `docker run` answers its own failures with status 125, keeping 126/127 and the rest for the command. */
function as125(err: unknown): unknown {
  if (err instanceof KilnError && err.exitCode === 1) return new KilnError(err.code, err.message, { hint: err.hint, cause: err.cause, exitCode: 125 });
  return err;
}

export default defineCommand({
  meta: { name: "run", description: "Run a command in a new container" },
  args,
  async run({ args: a }) {
    if (a.detach && a.rm) logger.debug("--rm with -d: the container is removed when it exits");
    if (a.tty && a.interactive && !process.stdin.isTTY) throw new UsageError("the input device is not a TTY", { hint: "Run without -t, or from a terminal." });
    const shmSize = a["shm-size"] === undefined ? undefined : parseShmSize(String(a["shm-size"]));
    const ulimits = parseUlimits(list(a.ulimit));
    const security = { privileged: a.privileged === true, capAdd: list(a["cap-add"]), capDrop: list(a["cap-drop"]) };
    let seccompUnconfined: boolean;
    // Unknown names are refused before anything is set up, as `docker run` does (status 125).
    try {
      resolveCapabilities(security);
      ({ seccompUnconfined } = parseSecurityOpts(list(a["security-opt"])));
    } catch (err) {
      throw as125(err);
    }
    const store = await openStore();
    // The store is only needed to set the container up: let go of it (and of
    // its lock, which `kiln prune` waits for) before the container runs.
    let storeOpen = true;
    const closeStore = () => {
      if (storeOpen) store.close();
      storeOpen = false;
    };
    try {
      const image = await imageFor(store, a.image as string);
      const lowerDirs = await store.prepareSnapshots(image);
      const cfg = image.config.config ?? {};
      const argv = resolveCommand({ entrypoint: cfg.Entrypoint, cmd: cfg.Cmd }, { entrypoint: a.entrypoint as string | undefined, args: list(a.command) });
      const envFiles = list(a["env-file"]).map((f) => parseEnvFile(readFileSync(f, "utf8")));
      const env = mergeEnv([cfg.Env ?? [], ...envFiles, list(a.env)], process.env);
      const mounts = list(a.volume).map((v) => parseVolume(v, process.cwd()));
      // Docker creates a missing host directory for -v.
      for (const m of mounts) if (!existsSync(m.source)) mkdirSync(m.source, { recursive: true });

      const containers = new ContainerStore(join(store.root, "containers"));
      const id = new Bun.CryptoHasher("sha256").update(crypto.getRandomValues(new Uint8Array(32))).digest("hex");
      const dir = containers.dirOf(id);
      const spec: ContainerSpec = {
        id,
        rootfs: { lowerDirs, upperDir: join(dir, "upper"), workDir: join(dir, "work") },
        process: { kind: "exec", argv, env, cwd: (a.workdir as string | undefined) || cfg.WorkingDir || "/", user: (a.user as string | undefined) ?? cfg.User ?? "", tty: a.tty === true },
        network: a.network as "host" | "none",
        hostname: a.hostname as string | undefined,
        mounts,
        ...(shmSize !== undefined ? { shmSize } : {}),
        ...(ulimits.length > 0 ? { ulimits } : {}),
        ...(security.privileged ? { privileged: true } : {}),
        ...(security.capAdd.length > 0 ? { capAdd: security.capAdd } : {}),
        ...(security.capDrop.length > 0 ? { capDrop: security.capDrop } : {}),
        ...(seccompUnconfined ? { seccompUnconfined: true } : {}),
      };
      const rec = containers.create({
        id,
        name: a.name as string | undefined,
        image: a.image as string,
        imageId: image.id,
        command: argv,
        created: new Date().toISOString(),
        spec,
        autoRemove: a.rm === true,
        detached: a.detach === true,
      });
      closeStore();
      if (a.detach) {
        await startDetached(containers, rec);
        printOut(`${id}\n`);
        return;
      }
      logger.debug(`container ${id.slice(0, 12)} (${rec.config.name})`);
      process.exitCode = await runRecorded(containers, rec, { stdin: a.interactive ? "inherit" : "ignore", stdout: "inherit", stderr: "inherit" });
    } catch (err) {
      throw as125(err);
    } finally {
      closeStore();
    }
  },
});
