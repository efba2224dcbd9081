/**
 * What a RUN runs, per Docker's classic builder (dispatchRun): the shell form
 * through the stage's SHELL, the exec form as written; the environment is the
 * image's ENV plus the build args in scope; the history and the cache key get
 * the `|N K=V …` prefix of the args, the image config never gets them.
 * RUN --mount: bind mounts from the context or from a stage/image (a host
 * copy of it), cache mounts (kept under the store), tmpfs (a fresh empty
 * dir), secrets and ssh agents given with --secret/--ssh (secret-mounts.ts:
 * never in the layer, the key or the config). The cache key of a mount is
 * known before anything is made (a stage or image by its id), so a cached
 * RUN never copies a stage out, nor fetches one from a remote cache.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { BuildError } from "../errors.ts";
import { planRun, type RunInstruction, type RunMount } from "../dockerfile/index.ts";
import { resolveInRoot } from "../layer/index.ts";
import { sha256 } from "../util/digest.ts";
import { allowedArgs, runArgsPrefix } from "./args.ts";
import type { HostMount } from "./executor.ts";
import { planSecretMount, planSshMount, type MountPart } from "./secret-mounts.ts";
import { noSecrets, type BuildSecrets } from "./secrets.ts";
import type { StageRunner } from "./stage-runner.ts";
import { joinClean, shellOf, type StageState } from "./state.ts";

interface RunCommand {
  argv: string[];
  env: string[];
  /** `|1 A=b /bin/sh -c make`: history created_by and the command part of the cache key. */
  createdBy: string;
  /** A heredoc script the command runs (`RUN <<EOF` starting with `#!`): mounted at `path`. */
  script?: { path: string; content: string };
}

/** Compose the command, environment and history text of a RUN in `state`. */
export function composeRun(state: StageState, run: RunInstruction): RunCommand {
  const plan = planRun(run);
  const argv = plan.prependShell ? [...shellOf(state.config), ...plan.cmdLine] : plan.cmdLine;
  const env = state.config.Env ?? [];
  const args = allowedArgs(state.args, env);
  return {
    argv,
    env: [...env, ...args],
    createdBy: [...runArgsPrefix(state.args, args), ...argv].join(" "),
    ...(plan.file ? { script: plan.file } : {}),
  };
}

interface MountPlan {
  /** What the mounts mean for the cache key (never host paths of temp dirs). */
  key: string[];
  /**
   * Make the host sources (on a cache miss only): `tmp` is the step's temp dir (stage copies, tmpfs stand-ins).
   * `env` is for the step's process only (secrets as variables, SSH_AUTH_SOCK); call `cleanup` when it ends.
   */
  prepare(tmp: string): Promise<Required<MountPart>>;
}

/** A stage or image a bind mount reads: its id for the key, a host copy of `source` on demand. */
interface MountImage {
  id: string;
  exportTree(source: string, into: string): Promise<string>;
}

/**
 * RUN --mount, planned: the cache-key part now, the host sources later.
 * `contextDir` is the build context (bind mounts without `from`),
 * `cacheRoot` the store's cache-mount dir, `secrets` what --secret/--ssh provide.
 */
export async function planMounts(
  mounts: readonly RunMount[],
  workdir: string,
  dirs: { contextDir?: string; cacheRoot: string; secrets?: BuildSecrets },
  fromImage: (ref: string) => Promise<MountImage>,
): Promise<MountPlan> {
  const key: string[] = [];
  const makers: ((tmp: string) => Promise<HostMount | MountPart>)[] = [];
  let sshIndex = 0;
  for (const [i, m] of mounts.entries()) {
    const target = m.target === undefined ? undefined : joinClean("/", m.target.startsWith("/") ? "" : workdir, m.target);
    if (!target && m.type !== "secret" && m.type !== "ssh") throw new BuildError("E_BUILD", `RUN --mount=${m.raw}: a target is required`, { hint: "add target=/path" });
    switch (m.type) {
      case "bind": {
        if (m.from) {
          const image = await fromImage(m.from);
          key.push(`bind:${image.id}:${m.source ?? "/"}:${target}:${m.readOnly ? "ro" : "rw"}`);
          makers.push(async (tmp) => ({ source: await image.exportTree(m.source ?? "/", tmp), target: target!, readonly: m.readOnly }));
          break;
        }
        const contextDir = dirs.contextDir;
        if (!contextDir) throw new BuildError("E_BUILD", `RUN --mount=${m.raw}: there is no build context to bind from`);
        key.push(`bind:${m.source ?? ""}:${target}:${m.readOnly ? "ro" : "rw"}`);
        makers.push(async () => ({ source: resolveInRoot(contextDir, m.source ?? ""), target: target!, readonly: m.readOnly }));
        break;
      }
      case "cache": {
        if (m.from) throw notYet(m, "cache mounts seeded from a stage");
        const id = m.id ?? target!;
        key.push(`cache:${id}:${target}`);
        makers.push(async () => {
          const source = join(dirs.cacheRoot, sha256(id).slice(7, 39));
          mkdirSync(source, { recursive: true, mode: m.mode ?? 0o755 });
          return { source, target: target!, readonly: m.readOnly };
        });
        break;
      }
      case "tmpfs": {
        key.push(`tmpfs:${target}`);
        makers.push(async (tmp) => {
          const source = join(tmp, `tmpfs-${i}`);
          mkdirSync(source, { mode: 0o1777 });
          return { source, target: target! };
        });
        break;
      }
      case "secret":
      case "ssh": {
        const secrets = dirs.secrets ?? noSecrets();
        const planned = m.type === "secret" ? planSecretMount(m, target, secrets) : planSshMount(m, target, sshIndex++, secrets);
        key.push(planned.key);
        makers.push(planned.make);
        break;
      }
    }
  }
  return { key, prepare: (tmp) => prepareAll(makers, tmp) };
}

/** Run the makers in order; on a failure undo what the ones before made. */
async function prepareAll(makers: ((tmp: string) => Promise<HostMount | MountPart>)[], tmp: string): Promise<Required<MountPart>> {
  const mounts: HostMount[] = [];
  const env: string[] = [];
  const cleanups: (() => Promise<void> | void)[] = [];
  const cleanup = async () => {
    for (const c of cleanups.reverse()) await c();
  };
  try {
    for (const make of makers) {
      const part = await make(tmp);
      if ("target" in part) mounts.push(part);
      else {
        mounts.push(...part.mounts);
        env.push(...part.env);
        if (part.cleanup) cleanups.push(part.cleanup);
      }
    }
  } catch (err) {
    await cleanup();
    throw err;
  }
  return { mounts, env, cleanup };
}

/** `base` with `extra` set on top: a name in both takes the value from `extra`. */
function withEnv(base: string[], extra: string[]): string[] {
  if (extra.length === 0) return base;
  const nameOf = (e: string) => e.split("=", 1)[0]!;
  const names = new Set(extra.map(nameOf));
  return [...base.filter((e) => !names.has(nameOf(e))), ...extra];
}

function notYet(m: RunMount, what: string): BuildError {
  return new BuildError("E_NOT_IMPLEMENTED", `RUN --mount=${m.raw}: ${what} is not supported yet`, {
    hint: "use a bind, cache or tmpfs mount",
  });
}

/** A RUN step: command, environment and mounts, then a container on a cache miss. */
export async function runRunStep(runner: StageRunner, inst: RunInstruction): Promise<void> {
  const { env, state } = runner;
  // BuildKit's entitlement: a Dockerfile cannot give itself privileges, the command line must.
  const insecure = inst.security === "insecure";
  if (insecure && !env.allowInsecure) {
    throw new BuildError("E_BUILD", "RUN --security=insecure is not allowed: the security.insecure entitlement was not granted", {
      hint: "pass --allow security.insecure to kiln build to run this step with all privileges",
    });
  }
  const cmd = composeRun(state, inst);
  const network = inst.network === "default" ? env.network : inst.network;
  // The key needs only the id of a stage or image a mount reads; its files are copied out on a miss.
  const fromImage = async (ref: string): Promise<MountImage> => {
    const index = env.stageIndex(ref);
    const stage = index !== undefined ? await env.stageResult(index) : undefined;
    const id = stage ? stage.id : (await env.resolveImage(ref, runner.platform)).id;
    if (!id) throw new BuildError("E_BUILD", `RUN --mount from=${ref}: that stage produced no image`);
    return {
      id,
      exportTree: async (source, into) => env.exec.exportTree(stage ? (await stage.record())! : await env.exec.getImage(id), source, into),
    };
  };
  const plan = await planMounts(inst.mounts, state.config.WorkingDir ?? "/", { contextDir: env.contextDir, cacheRoot: env.cacheMountRoot, secrets: env.secrets }, fromImage);
  const key = cmd.script ? [...plan.key, `script:${Bun.hash(cmd.script.content)}`] : plan.key;
  await runner.commitStep({
    command: cmd.createdBy,
    config: state.config,
    extra: { ...(network !== "host" ? { network } : {}), ...(insecure ? { security: "insecure" } : {}), ...(key.length ? { mounts: key.join(";") } : {}) },
    perform: async (parent) => {
      const tmp = inst.mounts.length > 0 || cmd.script ? await env.tempDir() : "";
      const { mounts, env: mountEnv, cleanup } = await plan.prepare(tmp);
      try {
        if (cmd.script) {
          await Bun.write(`${tmp}/script`, cmd.script.content, { mode: 0o755 });
          mounts.push({ source: `${tmp}/script`, target: cmd.script.path, readonly: true });
        }
        const live = env.isLive(runner.index) && !env.quiet;
        let containerId = "";
        const r = await env.exec.run(parent, {
          argv: cmd.argv,
          // Secrets as variables and SSH_AUTH_SOCK: this process only, never the image config.
          env: withEnv(cmd.env, mountEnv),
          cwd: state.config.WorkingDir || "/",
          user: state.config.User ?? "",
          network,
          extraHosts: env.extraHosts,
          mounts,
          volumes: Object.keys(state.config.Volumes ?? {}),
          ...(insecure ? { privileged: true } : {}),
          output: live ? "inherit" : "capture",
          onStart: (id) => {
            containerId = id;
            env.emit({ type: "container", stage: runner.index, id });
          },
        });
        for (const [fd, text] of [[1, r.stdout], [2, r.stderr]] as const) if (text) env.emit({ type: "output", stage: runner.index, fd, text });
        if (r.exitCode !== 0) {
          throw new BuildError("E_BUILD_STEP_FAILED", `${inst.original.trim()}: exit code ${r.exitCode}\nThe command '${cmd.argv.join(" ")}' returned a non-zero code: ${r.exitCode}`, {
            hint: "the command failed inside the build container; its output is above",
          });
        }
        env.emit({ type: "container-removed", stage: runner.index, id: containerId || r.containerId });
        return { layer: r.layer };
      } finally {
        await cleanup();
      }
    },
  }, state);
}
