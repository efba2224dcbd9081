import { fstatSync, mkdtempSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";
import { defineCommand } from "citty";
import { UsageError } from "../../errors.ts";
import { BuildDb, CacheExecutor, ClassicProgress, parseBuildSecrets, parseCacheOption, prepareContext, RealExecutor, RegistryCache, runBuild, type BuildEvent, type Executor } from "../../build/index.ts";
import type { Digest } from "../../image/index.ts";
import { parseShmSize, parseUlimits } from "../../sandbox/index.ts";
import { removeTree } from "../../store/index.ts";
import type { KilnArgDef } from "../flags.ts";
import { debugLogEnabled, logger } from "../logger.ts";
import { parseBuildOutputs, toStdout, writeBuildOutputs } from "./_build-output.ts";
import { publishBuild } from "./_build-publish.ts";
import { lazyRegistryStore, pullForBuild } from "./_build-registry.ts";
import { gzipLevelFromEnv } from "./_compress-on-push.ts";
import { parseBuildVolumes } from "./_build-volume.ts";
import { stopOnSignals } from "./_interrupt.ts";
import { registryArgs, registryOptions } from "./_registry-args.ts";
import { openStore, printOut, stdoutClosed } from "./_shared.ts";

// Docker build flags kiln does not implement: using one is an error that says so.
const NOT_YET = ["squash", "memory", "cpu-shares", "cpuset-cpus", "cgroup-parent", "isolation", "security-opt", "compress", "stream"];

export default defineCommand({
  meta: { name: "build", description: "Build an image from a Dockerfile" },
  args: {
    tag: { type: "string", alias: ["t"], multiple: true, valueHint: "name:tag", description: "Name and optionally a tag (name:tag); repeatable" },
    file: { type: "string", alias: ["f"], valueHint: "file", description: "Name of the Dockerfile (default: PATH/Dockerfile; - for stdin)" },
    "build-arg": { type: "string", multiple: true, valueHint: "K[=V]", description: "Set a build-time variable; repeatable" },
    target: { type: "string", valueHint: "stage", description: "Build this stage (and the stages it needs) only" },
    "no-cache": { type: "boolean", description: "Do not use the build cache" },
    pull: { type: "boolean", description: "Always pull base images (needs a reachable registry)" },
    push: { type: "boolean", description: "Push the image to its registry (every -t name) after the build" },
    "cache-from": { type: "string", multiple: true, valueHint: "registry:REF", description: "Also use the shared build cache at REF in a registry (or type=registry,ref=REF); repeatable" },
    "cache-to": { type: "string", multiple: true, valueHint: "registry:REF", description: "Export every step to a shared build cache at REF (or type=registry,ref=REF[,ignore-error=true]); repeatable" },
    ...registryArgs,
    label: { type: "string", multiple: true, valueHint: "K=V", description: "Set metadata on the image; repeatable" },
    network: { type: "string", valueHint: "mode", description: "Network for RUN: host (default) or none" },
    iidfile: { type: "string", valueHint: "file", description: "Write the image id to the file" },
    quiet: { type: "boolean", alias: ["q"], description: "Print only the image id" },
    progress: { type: "enum", options: ["auto", "plain", "tty"], default: "auto", description: "Output: auto, plain (classic lines), tty (with step times)" },
    platform: { type: "string", valueHint: "os/arch", description: "Target platform (this host's only)" },
    "add-host": { type: "string", multiple: true, valueHint: "host:ip", description: "Add a host to /etc/hosts of RUN steps; repeatable" },
    allow: { type: "string", multiple: true, valueHint: "entitlement", description: "Allow extra privileged entitlement: security.insecure (RUN --security=insecure), network.host; repeatable" },
    secret: { type: "string", multiple: true, valueHint: "id=ID,src=FILE", description: "A secret for RUN --mount=type=secret (id=ID,src=FILE or id=ID,env=VAR); repeatable" },
    ssh: { type: "string", multiple: true, valueHint: "default|ID[=SOCKET]", description: "An ssh-agent socket for RUN --mount=type=ssh (default: $SSH_AUTH_SOCK); repeatable" },
    rm: { type: "boolean", description: "Remove intermediate containers (always done)" },
    "force-rm": { type: "boolean", description: "Always remove intermediate containers (always done)" },
    "shm-size": { type: "string", valueHint: "bytes", description: "Size of /dev/shm of RUN containers (e.g. 64m, 1g; default 64m)" },
    ulimit: { type: "string", multiple: true, valueHint: "NAME=SOFT[:HARD]", description: "Ulimit options of RUN containers (e.g. nofile=1024:2048); repeatable" },
    output: { type: "string", alias: ["o"], multiple: true, valueHint: "type=local,dest=DIR", description: "Also write the result: type=local,dest=DIR | type=tar,dest=FILE|- | type=oci|docker,dest=FILE | DIR | - (a tar on stdout)" },
    volume: { type: "string", alias: ["v"], multiple: true, valueHint: "HOST:CTR[:ro]", description: "Bind-mount a host path into every RUN container (as buildah bud -v; never in a layer); repeatable" },
    ...Object.fromEntries(NOT_YET.map((f) => [f, { type: "string", description: "(not supported yet)" } satisfies KilnArgDef])),
    context: { type: "positional", valueHint: "PATH | URL | - ", description: "Build context: a directory, a tar file, a Git or tar URL, or - (stdin)" },
  },
  async run({ args }) {
    for (const f of NOT_YET) if (args[f] !== undefined) throw new UsageError(`kiln build --${f} is not supported yet`, { hint: "See 'kiln build --help' for what kiln build does support." });
    if (args.rm === false) throw new UsageError("kiln build --rm=false is not supported: kiln never keeps intermediate containers");
    const network = args.network === undefined || args.network === "default" || args.network === "host" ? "host" : args.network === "none" ? "none" : undefined;
    if (!network) throw new UsageError(`kiln build --network=${args.network} is not supported`, { hint: "use --network=host (the default) or --network=none" });
    const labels = list(args.label).map((l): [string, string] => {
      const eq = l.indexOf("=");
      return eq === -1 ? [l, ""] : [l.slice(0, eq), l.slice(eq + 1)];
    });
    // BuildKit's entitlements; network.host is kiln's default anyway.
    for (const e of list(args.allow)) if (e !== "security.insecure" && e !== "network.host") throw new UsageError(`invalid entitlement: ${e}`, { hint: "kiln build --allow takes security.insecure or network.host" });
    const extraHosts = list(args["add-host"]).map((h) => {
      const i = h.indexOf(":");
      if (i <= 0) throw new UsageError(`invalid --add-host "${h}": expected host:ip`);
      return { host: h.slice(0, i), ip: h.slice(i + 1) };
    });
    const secrets = parseBuildSecrets(list(args.secret), list(args.ssh), process.env, process.cwd());
    const shmSize = args["shm-size"] === undefined ? undefined : parseShmSize(String(args["shm-size"]));
    const ulimits = parseUlimits(list(args.ulimit));
    const outputs = parseBuildOutputs(list(args.output), process.cwd());
    // -o -: stdout holds the tar only; the build's lines (and RUN output, captured) go to stderr, as buildx does.
    const stdoutTaken = outputs.some(toStdout);
    if (stdoutTaken && stdoutIsTty()) throw new UsageError("kiln build -o - would write a tar to the terminal", { hint: "redirect stdout (-o - > out.tar) or give dest=FILE" });
    const printMain = stdoutTaken ? (s: string) => void writeSync(2, s) : printOut;
    const volumes = parseBuildVolumes(list(args.volume), process.cwd());
    const cacheFrom = list(args["cache-from"]).map((v) => parseCacheOption(v, "cache-from"));
    const cacheTo = list(args["cache-to"]).map((v) => parseCacheOption(v, "cache-to"));
    const tags = list(args.tag);
    if (args.push === true && tags.length === 0) throw new UsageError("kiln build --push needs a name to push to", { hint: "add -t REGISTRY/NAME:TAG" });
    const regOpts = registryOptions(args);
    const quiet = args.quiet === true;
    const timing = args.progress === "tty" || (args.progress === "auto" && !quiet && stdoutIsTty());
    const captured: string[] = [];
    // Cached steps' lines are written together unless debug lines (stderr) go between them.
    const batch = !debugLogEnabled();
    const progress = new ClassicProgress({ write: quiet ? (s) => void captured.push(s) : printMain, timing, batch });
    const emit = (e: BuildEvent) => {
      if (e.type === "debug") logger.debug(`stage ${e.stage}: ${e.text}`);
      else progress.emit(e);
    };

    using interrupt = stopOnSignals();
    using store = await openStore();
    using db = new BuildDb(join(store.root, "build"));
    // One temp dir per build, made on first use (a fully cached build needs none).
    let tmpRoot: Promise<string> | undefined;
    const tempDir = async () => mkdtempSync(join(await (tmpRoot ??= store.tempDir("build")), "d-"));
    using registryStore = lazyRegistryStore(store);
    // The cache indexes load while the context is prepared.
    const opening = cacheFrom.length + cacheTo.length > 0
      ? RegistryCache.open({ from: cacheFrom, store, registry: regOpts, imageSource: async (image) => (await registryStore.adapter()).source(image), log: logger })
      : undefined;
    opening?.catch(() => {});
    let built: { id: Digest; cache?: RegistryCache; cached?: CacheExecutor };
    try {
      const prepared = await prepareContext({
        context: String(args.context),
        file: args.file as string | undefined,
        cwd: process.cwd(),
        readStdin: readStdinOnce(),
        tempDir,
      });
      const real = new RealExecutor(store, {
        // Build layers are stored uncompressed unless asked (README "Layers"; pushes gzip them).
        compression: process.env.KILN_LAYER_COMPRESSION === "zstd" ? "zstd" : process.env.KILN_LAYER_COMPRESSION === "gzip" ? "gzip" : "none",
        gzipLevel: gzipLevelFromEnv(),
        sourceDateEpoch: /^\d+$/.test(process.env.SOURCE_DATE_EPOCH ?? "") ? Number(process.env.SOURCE_DATE_EPOCH) : undefined,
        pull: (ref, platform) => pullForBuild(registryStore, ref, platform, regOpts),
        shmSize,
        ulimits: ulimits.length > 0 ? ulimits : undefined,
        volumes,
        abort: interrupt.signal,
      });
      const cache = await opening;
      const cached = cache && new CacheExecutor(real, cache, store);
      const exec: Executor = cached ?? real;
      const { id } = await runBuild(
        {
          ...prepared,
          tags,
          buildArgs: list(args["build-arg"]),
          env: process.env,
          target: args.target as string | undefined,
          noCache: args["no-cache"] === true,
          pull: args.pull === true,
          labels,
          network,
          platform: args.platform as string | undefined,
          extraHosts,
          secrets,
          allowInsecure: list(args.allow).includes("security.insecure"),
          quiet,
        },
        {
          exec,
          emit,
          // A closed stdout (cli/output.ts): RUN output is captured (and dropped) rather than fail the step.
          isLive: (s) => progress.isLive(s) && !stdoutClosed() && !stdoutTaken,
          onStages: (order) => progress.setStages(order),
          onStageDone: (s, failed) => progress.stageDone(s, failed),
          db,
          tempDir,
          cacheMountRoot: join(store.root, "build", "cache-mounts"),
        },
      );
      interrupt.signal.throwIfAborted();
      await cached?.finish(id);
      if (quiet) printMain(`${id}\n`);
      if (typeof args.iidfile === "string") writeFileSync(args.iidfile, id);
      built = { id, cache, cached };
    } catch (err) {
      progress.flush();
      // docker build -q shows what the build printed only when it fails, on stderr.
      if (quiet && captured.length > 0) writeSync(2, captured.join(""));
      throw err;
    } finally {
      if (tmpRoot) removeTree(await tmpRoot);
    }
    // After the build, outside its error path: a failed push or export leaves the image built.
    const { id, cache, cached } = built;
    await writeBuildOutputs(outputs, { store, id, tags, warn: (m) => logger.warn(m), abort: interrupt.signal });
    if (cache && cacheFrom.length > 0 && !quiet) {
      const s = cache.stats;
      logger.info(`build cache: ${s.hits} step${s.hits === 1 ? "" : "s"} from ${cacheFrom.map((c) => c.ref).join(", ")}, ${s.layers} layer${s.layers === 1 ? "" : "s"} downloaded (${s.layerBytes} bytes)`);
    }
    await publishBuild({ id, tags: args.push === true ? tags : [], cacheTo, cache, cached, store: registryStore, registry: regOpts, quiet: quiet || stdoutTaken });
  },
});

/**
 * Is fd 1 a terminal? A character device with a tty major (4: ttyN, 5:
 * /dev/tty, 136–143: ptys) — without loading node:tty, which costs a fully
 * cached build a tenth of its time.
 */
function stdoutIsTty(): boolean {
  try {
    const st = fstatSync(1);
    const major = Math.floor(st.rdev / 256) & 0xfff;
    return st.isCharacterDevice() && (major === 4 || major === 5 || (major >= 136 && major <= 143));
  } catch {
    return false;
  }
}

/** A repeatable flag's values (kiln's parser collects them in an array). */
function list(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : typeof v === "string" ? [v] : [];
}

/** stdin is read at most once (CONTEXT - and -f - cannot both use it). */
function readStdinOnce(): () => Promise<Uint8Array> {
  let used = false;
  return async () => {
    if (used) throw new UsageError("stdin can be used for the context or for the Dockerfile, not both");
    used = true;
    return new Uint8Array(await Bun.stdin.arrayBuffer());
  };
}
