/**
 * The meaning of the metadata instructions, as pure state transitions (P3):
 * ENV, LABEL, EXPOSE, VOLUME, USER, WORKDIR, CMD, ENTRYPOINT, STOPSIGNAL,
 * HEALTHCHECK, SHELL, ONBUILD, ARG, MAINTAINER change the runtime config and
 * nothing else. Each returns the new state and the history comment Docker's
 * classic builder (builder/dockerfile/dispatchers.go, 20.10) writes for it.
 * Values arrive already expanded; filesystem effects live in the executor.
 */
import { BuildError } from "../errors.ts";
import type { ContainerConfig, HealthConfig } from "../image/index.ts";
import { declareArg, type ArgScope } from "./args.ts";
import { goDuration, goQuoteRune, goQuoteSlice, goSlice } from "./go-format.ts";
import { parseExposedPorts, validateStopSignal } from "./ports.ts";

export const DEFAULT_SHELL: readonly string[] = ["/bin/sh", "-c"];
export const DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** The state of one stage between two steps. */
export interface StageState {
  /** The runtime config the next image gets (Docker's runConfig). */
  readonly config: ContainerConfig;
  readonly args: ArgScope;
  /** A CMD was given in this stage (ENTRYPOINT then keeps it). */
  readonly cmdSet: boolean;
  /** MAINTAINER: the `author` of every image committed after it. */
  readonly maintainer?: string;
}

/** A metadata instruction with its words already expanded. */
export type MetaChange =
  | { kind: "ENV"; pairs: [string, string][] }
  | { kind: "LABEL"; pairs: [string, string][] }
  | { kind: "EXPOSE"; ports: string[] }
  | { kind: "VOLUME"; paths: string[] }
  | { kind: "USER"; user: string }
  | { kind: "WORKDIR"; path: string }
  | { kind: "CMD" | "ENTRYPOINT"; args: string[]; shellForm: boolean }
  | { kind: "STOPSIGNAL"; signal: string }
  | { kind: "HEALTHCHECK"; health: HealthConfig }
  | { kind: "SHELL"; shell: string[] }
  | { kind: "ONBUILD"; expression: string }
  | { kind: "ARG"; args: { key: string; value?: string }[] }
  | { kind: "MAINTAINER"; name: string };

interface MetaResult {
  state: StageState;
  /** History text after `#(nop)`; `nopStyle` says which of Docker's two spacings it uses. */
  comment: string;
  nopStyle: "separate" | "joined";
  /** Something to tell the user (Docker prints it on stdout), e.g. an overridden HEALTHCHECK. */
  note?: string;
}

/** The shell of a stage: SHELL if set, else /bin/sh -c. */
export function shellOf(config: ContainerConfig): readonly string[] {
  return config.Shell && config.Shell.length > 0 ? config.Shell : DEFAULT_SHELL;
}

/**
 * Docker's two history spellings of a no-op step: `commit()` appends "#(nop) " and the
 * comment as separate words (two spaces: `/bin/sh -c #(nop)  CMD ["x"]`); WORKDIR and
 * COPY/ADD append them as one word (`/bin/sh -c #(nop) WORKDIR /app`).
 */
export function nopCreatedBy(config: ContainerConfig, comment: string, style: MetaResult["nopStyle"]): string {
  const words = style === "separate" ? [...shellOf(config), "#(nop) ", comment] : [...shellOf(config), `#(nop) ${comment}`];
  return words.join(" ");
}

/**
 * State at FROM: the base's config (a copy), PATH defaulted like Docker's
 * setDefaultPath, and the base's ONBUILD triggers taken out (they run now and
 * are never inherited).
 */
export function beginStage(base: ContainerConfig | undefined, args: ArgScope): { state: StageState; triggers: string[] } {
  const config: ContainerConfig = structuredClone(base ?? {});
  const triggers = config.OnBuild ?? [];
  delete config.OnBuild;
  const env = config.Env ?? [];
  if (!env.some((e) => e.split("=", 1)[0] === "PATH")) config.Env = [...env, DEFAULT_PATH];
  return { state: { config, args, cmdSet: false }, triggers };
}

/** Docker's normalizeWorkdir: relative paths join the current one; absolute ones are kept as written. */
export function normalizeWorkdir(current: string | undefined, requested: string): string {
  if (requested === "") throw new BuildError("E_BUILD", "cannot normalize nothing", { hint: "give WORKDIR a path" });
  if (requested.startsWith("/")) return requested;
  return joinClean("/", current ?? "", requested);
}

/** path.Join of Go: join with "/" and clean ("." and ".." resolved, no trailing slash). */
export function joinClean(...parts: string[]): string {
  const out: string[] = [];
  for (const seg of parts.join("/").split("/")) {
    if (seg === "" || seg === ".") continue;
    if (seg === "..") out.pop();
    else out.push(seg);
  }
  return `/${out.join("/")}`;
}

function setEnv(env: readonly string[], key: string, value: string): string[] {
  const out = [...env];
  const i = out.findIndex((e) => e.split("=", 1)[0] === key);
  if (i === -1) out.push(`${key}=${value}`);
  else out[i] = `${key}=${value}`;
  return out;
}

function sortedRecord<T>(entries: Iterable<[string, T]>): Record<string, T> {
  return Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function resolveCmdLine(config: ContainerConfig, args: string[], shellForm: boolean): string[] {
  if (args.length === 0) return [];
  return shellForm ? [...shellOf(config), ...args] : args;
}

/** Go's `%q` of a *HealthConfig (Docker 20.10 fields), as HEALTHCHECK's history shows it. */
export function formatHealthcheck(h: HealthConfig): string {
  const d = (n: number | undefined) => `"${goDuration(n ?? 0)}"`;
  return `&{${goQuoteSlice(h.Test)} ${d(h.Interval)} ${d(h.Timeout)} ${d(h.StartPeriod)} ${goQuoteRune(h.Retries ?? 0)}}`;
}

/** Apply one metadata instruction. Throws BuildError for values Docker rejects. */
export function applyMeta(state: StageState, change: MetaChange): MetaResult {
  const config: ContainerConfig = { ...state.config };
  const next = (comment: string, extra: Partial<StageState> = {}, nopStyle: MetaResult["nopStyle"] = "separate"): MetaResult => ({
    state: { ...state, ...extra, config },
    comment,
    nopStyle,
  });
  switch (change.kind) {
    case "ENV": {
      let env = config.Env ?? [];
      for (const [k, v] of change.pairs) env = setEnv(env, k, v);
      config.Env = env;
      return next(["ENV", ...change.pairs.map(([k, v]) => `${k}=${v}`)].join(" "));
    }
    case "LABEL": {
      const labels = new Map(Object.entries(config.Labels ?? {}));
      for (const [k, v] of change.pairs) labels.set(k, v);
      config.Labels = sortedRecord(labels);
      return next(["LABEL", ...change.pairs.map(([k, v]) => `${k}=${v}`)].join(" "));
    }
    case "EXPOSE": {
      const ports = new Map(Object.entries(config.ExposedPorts ?? {}));
      for (const p of parseExposedPorts(change.ports)) ports.set(p, {});
      config.ExposedPorts = sortedRecord(ports);
      // Docker's parser sorts EXPOSE's words (instructions/parse.go parseExpose).
      return next(`EXPOSE ${[...change.ports].sort().join(" ")}`);
    }
    case "VOLUME": {
      const vols = new Map(Object.entries(config.Volumes ?? {}));
      for (const v of change.paths) {
        if (v === "") throw new BuildError("E_BUILD", "VOLUME specified can not be an empty string", { hint: "give VOLUME a path" });
        vols.set(v, {});
      }
      config.Volumes = sortedRecord(vols);
      return next(`VOLUME ${goSlice(change.paths)}`);
    }
    case "USER":
      config.User = change.user;
      return next(`USER ${change.user}`);
    case "WORKDIR":
      config.WorkingDir = normalizeWorkdir(config.WorkingDir, change.path);
      return next(`WORKDIR ${config.WorkingDir}`, {}, "joined");
    case "CMD":
      config.Cmd = resolveCmdLine(config, change.args, change.shellForm);
      return next(`CMD ${goQuoteSlice(config.Cmd)}`, { cmdSet: change.args.length > 0 || state.cmdSet });
    case "ENTRYPOINT":
      config.Entrypoint = resolveCmdLine(config, change.args, change.shellForm);
      if (!state.cmdSet) delete config.Cmd;
      return next(`ENTRYPOINT ${goQuoteSlice(config.Entrypoint)}`);
    case "STOPSIGNAL":
      validateStopSignal(change.signal);
      config.StopSignal = change.signal;
      return next(`STOPSIGNAL ${change.signal}`);
    case "HEALTHCHECK": {
      const old = config.Healthcheck?.Test;
      config.Healthcheck = change.health;
      const r = next(`HEALTHCHECK ${formatHealthcheck(change.health)}`);
      if (old && old.length > 0 && old[0] !== "NONE") r.note = `Note: overriding previous HEALTHCHECK: ${goSlice(old)}`;
      return r;
    }
    case "SHELL":
      config.Shell = change.shell;
      return next(`SHELL ${goSlice(change.shell)}`);
    case "ONBUILD":
      config.OnBuild = [...(config.OnBuild ?? []), change.expression];
      return next(`ONBUILD ${change.expression}`);
    case "ARG": {
      let args = state.args;
      for (const a of change.args) args = declareArg(args, a.key, a.value);
      const text = change.args.map((a) => (a.value === undefined ? a.key : `${a.key}=${a.value}`)).join(" ");
      return next(`ARG ${text}`, { args });
    }
    case "MAINTAINER":
      return next(`MAINTAINER ${change.name}`, { maintainer: change.name });
  }
}
