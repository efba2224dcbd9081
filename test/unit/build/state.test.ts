import { describe, expect, test } from "bun:test";
import { newArgScope } from "../../../src/build/args.ts";
import { applyMeta, beginStage, DEFAULT_PATH, nopCreatedBy, normalizeWorkdir, type MetaChange, type StageState } from "../../../src/build/state.ts";
import { BuildError } from "../../../src/errors.ts";
import type { ContainerConfig } from "../../../src/image/index.ts";

const fresh = (config: ContainerConfig = {}): StageState => beginStage(config, newArgScope([])).state;

describe("metadata instructions as pure state transitions (Docker 20.10 history text)", () => {
  // name, starting config, change, expected config fragment, expected created_by
  const rows: [string, ContainerConfig, MetaChange, Partial<ContainerConfig>, string][] = [
    ["ENV appends", {}, { kind: "ENV", pairs: [["A", "1"], ["B", "x y"]] }, { Env: [DEFAULT_PATH, "A=1", "B=x y"] }, "/bin/sh -c #(nop)  ENV A=1 B=x y"],
    ["ENV replaces in place", { Env: ["A=0", "PATH=/x"] }, { kind: "ENV", pairs: [["A", "1"]] }, { Env: ["A=1", "PATH=/x"] }, "/bin/sh -c #(nop)  ENV A=1"],
    ["LABEL sorted map", { Labels: { z: "1" } }, { kind: "LABEL", pairs: [["a", "b c"]] }, { Labels: { a: "b c", z: "1" } }, "/bin/sh -c #(nop)  LABEL a=b c"],
    ["EXPOSE with proto and range (history words sorted, as Docker does)", {}, { kind: "EXPOSE", ports: ["80", "53/udp", "8000-8001"] }, { ExposedPorts: { "53/udp": {}, "80/tcp": {}, "8000/tcp": {}, "8001/tcp": {} } }, "/bin/sh -c #(nop)  EXPOSE 53/udp 80 8000-8001"],
    ["VOLUME as %v", {}, { kind: "VOLUME", paths: ["/data", "/logs"] }, { Volumes: { "/data": {}, "/logs": {} } }, "/bin/sh -c #(nop)  VOLUME [/data /logs]"],
    ["USER", {}, { kind: "USER", user: "app:app" }, { User: "app:app" }, "/bin/sh -c #(nop)  USER app:app"],
    ["WORKDIR absolute, one space", {}, { kind: "WORKDIR", path: "/app" }, { WorkingDir: "/app" }, "/bin/sh -c #(nop) WORKDIR /app"],
    ["WORKDIR relative joins", { WorkingDir: "/app" }, { kind: "WORKDIR", path: "src/../lib" }, { WorkingDir: "/app/lib" }, "/bin/sh -c #(nop) WORKDIR /app/lib"],
    ["CMD exec form", {}, { kind: "CMD", args: ["redis-server"], shellForm: false }, { Cmd: ["redis-server"] }, '/bin/sh -c #(nop)  CMD ["redis-server"]'],
    ["CMD shell form", {}, { kind: "CMD", args: ["echo hi"], shellForm: true }, { Cmd: ["/bin/sh", "-c", "echo hi"] }, '/bin/sh -c #(nop)  CMD ["/bin/sh" "-c" "echo hi"]'],
    ["ENTRYPOINT resets an inherited CMD", { Cmd: ["sh"] }, { kind: "ENTRYPOINT", args: ["/e"], shellForm: false }, { Entrypoint: ["/e"], Cmd: undefined }, '/bin/sh -c #(nop)  ENTRYPOINT ["/e"]'],
    ["STOPSIGNAL", {}, { kind: "STOPSIGNAL", signal: "SIGQUIT" }, { StopSignal: "SIGQUIT" }, "/bin/sh -c #(nop)  STOPSIGNAL SIGQUIT"],
    ["HEALTHCHECK as %q of the struct", {}, { kind: "HEALTHCHECK", health: { Test: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], Interval: 300e9, Timeout: 3e9, Retries: 3 } }, { Healthcheck: { Test: ["CMD-SHELL", "curl -f http://localhost/ || exit 1"], Interval: 300e9, Timeout: 3e9, Retries: 3 } }, '/bin/sh -c #(nop)  HEALTHCHECK &{["CMD-SHELL" "curl -f http://localhost/ || exit 1"] "5m0s" "3s" "0s" \'\\x03\'}'],
    ["SHELL changes the nop prefix too", {}, { kind: "SHELL", shell: ["/bin/bash", "-c"] }, { Shell: ["/bin/bash", "-c"] }, "/bin/bash -c #(nop)  SHELL [/bin/bash -c]"],
    ["ONBUILD keeps the expression", {}, { kind: "ONBUILD", expression: "RUN echo x" }, { OnBuild: ["RUN echo x"] }, "/bin/sh -c #(nop)  ONBUILD RUN echo x"],
    ["ARG with and without default", {}, { kind: "ARG", args: [{ key: "A", value: "1" }, { key: "B" }] }, {}, "/bin/sh -c #(nop)  ARG A=1 B"],
    ["MAINTAINER", {}, { kind: "MAINTAINER", name: "me <me@x>" }, {}, "/bin/sh -c #(nop)  MAINTAINER me <me@x>"],
  ];
  for (const [name, start, change, want, createdBy] of rows) {
    test(name, () => {
      const r = applyMeta(fresh(start), change);
      for (const [k, v] of Object.entries(want)) expect(r.state.config[k as keyof ContainerConfig]).toEqual(v as never);
      expect(nopCreatedBy(r.state.config, r.comment, r.nopStyle)).toBe(createdBy);
    });
  }

  test("CMD then ENTRYPOINT keeps the CMD of this stage", () => {
    const s = applyMeta(fresh(), { kind: "CMD", args: ["a"], shellForm: false }).state;
    expect(applyMeta(s, { kind: "ENTRYPOINT", args: ["/e"], shellForm: false }).state.config.Cmd).toEqual(["a"]);
  });
  test("ARG declares into the stage scope", () => {
    const s = applyMeta(fresh(), { kind: "ARG", args: [{ key: "V", value: "1" }] }).state;
    expect(s.args.declared.get("V")).toBe("1");
  });
  test("MAINTAINER sets the author", () => {
    expect(applyMeta(fresh(), { kind: "MAINTAINER", name: "x" }).state.maintainer).toBe("x");
  });
  test("a second HEALTHCHECK notes the override", () => {
    const s = applyMeta(fresh(), { kind: "HEALTHCHECK", health: { Test: ["CMD", "true"] } }).state;
    expect(applyMeta(s, { kind: "HEALTHCHECK", health: { Test: ["NONE"] } }).note).toBe("Note: overriding previous HEALTHCHECK: [CMD true]");
  });

  const invalid: [string, MetaChange, RegExp][] = [
    ["bad STOPSIGNAL", { kind: "STOPSIGNAL", signal: "SIGFOO" }, /Invalid signal: SIGFOO/],
    ["bad EXPOSE protocol", { kind: "EXPOSE", ports: ["80/xyz"] }, /invalid proto: xyz/],
    ["bad EXPOSE port", { kind: "EXPOSE", ports: ["http"] }, /invalid containerPort: http/],
    ["empty VOLUME", { kind: "VOLUME", paths: [""] }, /VOLUME specified can not be an empty string/],
  ];
  for (const [name, change, re] of invalid) {
    test(`${name} is a BuildError`, () => {
      expect(() => applyMeta(fresh(), change)).toThrow(BuildError);
      expect(() => applyMeta(fresh(), change)).toThrow(re);
    });
  }
});

describe("beginStage", () => {
  test("adds Docker's default PATH when the base has none", () => {
    expect(beginStage(undefined, newArgScope([])).state.config.Env).toEqual([DEFAULT_PATH]);
  });
  test("keeps the base's PATH", () => {
    expect(beginStage({ Env: ["PATH=/bin"] }, newArgScope([])).state.config.Env).toEqual(["PATH=/bin"]);
  });
  test("takes ONBUILD triggers out of the config", () => {
    const r = beginStage({ OnBuild: ["RUN x"] }, newArgScope([]));
    expect(r.triggers).toEqual(["RUN x"]);
    expect(r.state.config.OnBuild).toBeUndefined();
  });
});

describe("normalizeWorkdir", () => {
  const rows: [string | undefined, string, string][] = [[undefined, "app", "/app"], ["/a", "b/", "/a/b"], ["/a", "/x/", "/x/"], ["/a/b", "..", "/a"]];
  for (const [cur, req, want] of rows) test(`${cur} + ${req} = ${want}`, () => expect(normalizeWorkdir(cur, req)).toBe(want));
});
