import { describe, expect, test } from "bun:test";
import { applyChanges, splitWords } from "../../../src/cli/commands/_changes.ts";
import type { ContainerConfig } from "../../../src/image/index.ts";

describe("docker import --change", () => {
  const rows: [string, string[], ContainerConfig][] = [
    ["CMD exec form", ['CMD ["/bin/sh", "-c", "echo hi"]'], { Cmd: ["/bin/sh", "-c", "echo hi"] }],
    ["CMD shell form", ["CMD echo hi"], { Cmd: ["/bin/sh", "-c", "echo hi"] }],
    ["ENTRYPOINT exec form", ['ENTRYPOINT ["/init"]'], { Entrypoint: ["/init"] }],
    ["ENV pairs with quotes", ["ENV A=1 B=\"x y\" C='z'"], { Env: ["A=1", "B=x y", "C=z"] }],
    ["ENV legacy form", ["ENV GREETING hello world"], { Env: ["GREETING=hello world"] }],
    ["a later ENV replaces the same key", ["ENV A=1", "ENV A=2"], { Env: ["A=2"] }],
    ["LABEL", ['LABEL a=1 "b c"=2'], { Labels: { a: "1", "b c": "2" } }],
    ["EXPOSE adds /tcp", ["EXPOSE 80 53/udp"], { ExposedPorts: { "80/tcp": {}, "53/udp": {} } }],
    ["VOLUME in both forms", ['VOLUME ["/data"]', "VOLUME /a /b"], { Volumes: { "/data": {}, "/a": {}, "/b": {} } }],
    ["WORKDIR relative to the previous one", ["WORKDIR /srv", "WORKDIR app"], { WorkingDir: "/srv/app" }],
    ["USER and STOPSIGNAL", ["USER 1000:1000", "STOPSIGNAL SIGTERM"], { User: "1000:1000", StopSignal: "SIGTERM" }],
    ["lower-case instruction, several lines in one value", ["cmd [\"a\"]\nuser nobody"], { Cmd: ["a"], User: "nobody" }],
    ["ONBUILD", ["ONBUILD RUN make"], { OnBuild: ["RUN make"] }],
  ];
  for (const [name, changes, want] of rows) test(name, () => expect(applyChanges(changes)).toEqual(want));

  const bad: [string, string, RegExp][] = [
    ["RUN is refused", "RUN make", /RUN is not a valid change command/],
    ["FROM is refused", "FROM scratch", /FROM is not a valid change command/],
    ["a bad ENV pair", "ENV A=1 B", /ENV needs KEY=VALUE pairs/],
    ["an unterminated quote", 'ENV A="x', /unterminated quote/],
  ];
  for (const [name, change, re] of bad) test(name, () => expect(() => applyChanges([change])).toThrow(re));

  test("the input config is not modified", () => {
    const base: ContainerConfig = { Env: ["A=1"] };
    expect(applyChanges(["ENV B=2"], base)).toEqual({ Env: ["A=1", "B=2"] });
    expect(base).toEqual({ Env: ["A=1"] });
  });

  test("splitWords", () => {
    expect(splitWords(`a "b c" d\\ e 'f"g'`)).toEqual(["a", "b c", "d e", 'f"g']);
  });
});
