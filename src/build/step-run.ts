/**
 * What a RUN runs, per Docker's classic builder (dispatchRun): the shell form
 * through the stage's SHELL, the exec form as written; the environment is the
 * image's ENV plus the build args in scope; the history and the cache key get
 * the `|N K=V …` prefix of the args, the image config never gets them.
 * RUN --mount: bind mounts from the context or from a stage/image (a host
 * copy of it), cache mounts (kept under the store), tmpfs (a fresh empty
 * dir); secrets and ssh need flags kiln lacks.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { BuildError } from "../errors.ts";
import { planRun, type RunInstruction, type RunMount } from "../dockerfile/index.ts";
import { resolveInRoot } from "../layer/index.ts";
import { sha256 } from "../util/digest.ts";
import { allowedArgs, runArgsPrefix } from "./args.ts";
import type { StageRunner } from "./stage-runner.ts";
import { joinClean, shellOf, type StageState } from "./state.ts";

export interface RunCommand {
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

export interface MountPlan {
  mounts: { source: string; target: string; readonly?: boolean }[];
  /** What the mounts mean for the cache key (never host paths of temp dirs). */
  key: string[];
}

/**
 * Host sources for RUN --mount. `contextDir` is the build context (bind
 * mounts without `from`), `cacheRoot` the store's cache-mount dir, `tmp` the
 * step's temp dir (tmpfs stand-ins).
 */
export async function planMounts(
  mounts: readonly RunMount[],
  workdir: string,
  dirs: { contextDir?: string; cacheRoot: string; tmp: string },
  fromImage: (ref: string, source: string) => Promise<{ hostDir: string; key: string }>,
): Promise<MountPlan> {
  const out: MountPlan = { mounts: [], key: [] };
  for (const [i, m] of mounts.entries()) {
    const target = m.target === undefined ? undefined : joinClean("/", m.target.startsWith("/") ? "" : workdir, m.target);
    if (!target && m.type !== "secret" && m.type !== "ssh") throw new BuildError("E_BUILD", `RUN --mount=${m.raw}: a target is required`, { hint: "add target=/path" });
    switch (m.type) {
      case "bind": {
        if (m.from) {
          const got = await fromImage(m.from, m.source ?? "/");
          out.mounts.push({ source: got.hostDir, target: target!, readonly: m.readOnly });
          out.key.push(`bind:${got.key}:${m.source ?? "/"}:${target}:${m.readOnly ? "ro" : "rw"}`);
          break;
        }
        if (!dirs.contextDir) throw new BuildError("E_BUILD", `RUN --mount=${m.raw}: there is no build context to bind from`);
        const source = resolveInRoot(dirs.contextDir, m.source ?? "");
        out.mounts.push({ source, target: target!, readonly: m.readOnly });
        out.key.push(`bind:${m.source ?? ""}:${target}:${m.readOnly ? "ro" : "rw"}`);
        break;
      }
      case "cache": {
        if (m.from) throw notYet(m, "cache mounts seeded from a stage");
        const id = m.id ?? target!;
        const source = join(dirs.cacheRoot, sha256(id).slice(7, 39));
        mkdirSync(source, { recursive: true, mode: m.mode ?? 0o755 });
        out.mounts.push({ source, target: target!, readonly: m.readOnly });
        out.key.push(`cache:${id}:${target}`);
        break;
      }
      case "tmpfs": {
        const source = join(dirs.tmp, `tmpfs-${i}`);
        mkdirSync(source, { mode: 0o1777 });
        out.mounts.push({ source, target: target! });
        out.key.push(`tmpfs:${target}`);
        break;
      }
      default:
        throw notYet(m, `--mount=type=${m.type} (it needs --${m.type} on the command line)`);
    }
  }
  return out;
}

function notYet(m: RunMount, what: string): BuildError {
  return new BuildError("E_NOT_IMPLEMENTED", `RUN --mount=${m.raw}: ${what} is not supported yet`, {
    hint: "use a bind, cache or tmpfs mount",
  });
}

/** A RUN step: command, environment and mounts, then a container on a cache miss. */
export async function runRunStep(runner: StageRunner, inst: RunInstruction): Promise<void> {
  const { env, state } = runner;
  const cmd = composeRun(state, inst);
  const network = inst.network === "default" ? env.network : inst.network;
  const tmp = inst.mounts.length > 0 || cmd.script ? await env.tempDir() : undefined;
  const fromImage = async (ref: string, source: string) => {
    const index = env.stageIndex(ref);
    const image = index !== undefined ? await (await env.stageResult(index)).record() : await env.exec.getImage((await env.resolveImage(ref, runner.platform)).id);
    if (!image) throw new BuildError("E_BUILD", `RUN --mount from=${ref}: that stage produced no image`);
    return { hostDir: await env.exec.exportTree(image, source, tmp!), key: image.id };
  };
  const mounts = await planMounts(inst.mounts, state.config.WorkingDir ?? "/", { contextDir: env.contextDir, cacheRoot: env.cacheMountRoot, tmp: tmp ?? "" }, fromImage);
  if (cmd.script) {
    await Bun.write(`${tmp}/script`, cmd.script.content, { mode: 0o755 });
    mounts.mounts.push({ source: `${tmp}/script`, target: cmd.script.path, readonly: true });
    mounts.key.push(`script:${Bun.hash(cmd.script.content)}`);
  }
  await runner.commitStep({
    command: cmd.createdBy,
    config: state.config,
    extra: { ...(network !== "host" ? { network } : {}), ...(mounts.key.length ? { mounts: mounts.key.join(";") } : {}) },
    perform: async (parent) => {
      const live = env.isLive(runner.index) && !env.quiet;
      let containerId = "";
      const r = await env.exec.run(parent, {
        argv: cmd.argv,
        env: cmd.env,
        cwd: state.config.WorkingDir || "/",
        user: state.config.User ?? "",
        network,
        extraHosts: env.extraHosts,
        mounts: mounts.mounts,
        volumes: Object.keys(state.config.Volumes ?? {}),
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
    },
  }, state);
}
