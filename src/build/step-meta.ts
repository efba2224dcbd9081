/**
 * Typed (expanded) Dockerfile instructions → the MetaChange records of
 * state.ts. Only the metadata instructions map; RUN, COPY, ADD and FROM have
 * their own steps.
 */
import type { Instruction } from "../dockerfile/index.ts";
import type { HealthConfig } from "../image/index.ts";
import type { MetaChange } from "./state.ts";

/** The HEALTHCHECK config as Docker stores it: unset durations and retries left out. */
function healthConfig(i: Extract<Instruction, { kind: "HEALTHCHECK" }>): HealthConfig {
  const h: HealthConfig = { Test: i.test };
  if (i.interval) h.Interval = i.interval;
  if (i.timeout) h.Timeout = i.timeout;
  if (i.startPeriod) h.StartPeriod = i.startPeriod;
  if (i.startInterval) h.StartInterval = i.startInterval;
  if (i.retries) h.Retries = i.retries;
  return h;
}

/** The metadata change an instruction makes, or undefined for RUN/COPY/ADD/FROM. */
export function metaChangeOf(i: Instruction): MetaChange | undefined {
  switch (i.kind) {
    case "ENV":
      return { kind: "ENV", pairs: i.pairs.map((p) => [p.key, p.value]) };
    case "LABEL":
      return { kind: "LABEL", pairs: i.pairs.map((p) => [p.key, p.value]) };
    case "EXPOSE":
      return { kind: "EXPOSE", ports: i.ports };
    case "VOLUME":
      return { kind: "VOLUME", paths: i.volumes };
    case "USER":
      return { kind: "USER", user: i.user };
    case "WORKDIR":
      return { kind: "WORKDIR", path: i.path };
    case "CMD":
    case "ENTRYPOINT":
      return { kind: i.kind, args: i.cmdLine, shellForm: i.prependShell };
    case "STOPSIGNAL":
      return { kind: "STOPSIGNAL", signal: i.signal };
    case "HEALTHCHECK":
      return { kind: "HEALTHCHECK", health: healthConfig(i) };
    case "SHELL":
      return { kind: "SHELL", shell: i.shell };
    case "ONBUILD":
      return { kind: "ONBUILD", expression: i.expression };
    case "ARG":
      return { kind: "ARG", args: i.args.map((a) => (a.value === undefined ? { key: a.key } : { key: a.key, value: a.value })) };
    case "MAINTAINER":
      return { kind: "MAINTAINER", name: i.maintainer };
    default:
      return undefined;
  }
}
