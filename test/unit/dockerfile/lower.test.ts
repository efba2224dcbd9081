import { describe, expect, test } from "bun:test";
import { DockerfileError } from "../../../src/errors.ts";
import { type Instruction, lowerInstructions, parseDockerfile } from "../../../src/dockerfile/index.ts";

const lower1 = (line: string): Instruction => lowerInstructions(parseDockerfile(line))[0]!;
/** The instruction without its source bookkeeping, for compact expectations. */
function fields(line: string): Record<string, unknown> {
  const { range: _r, original: _o, keyword: _k, flags: _f, comments: _c, ...rest } = lower1(line) as unknown as Record<string, unknown>;
  return rest;
}

describe("lowerInstructions: one row per instruction", () => {
  const rows: [string, string, Record<string, unknown>][] = [
    ["FROM image", "FROM alpine:3.20", { kind: "FROM", image: "alpine:3.20", platform: undefined }],
    ["FROM --platform AS name", "FROM --platform=$BUILDPLATFORM golang AS Build", {
      kind: "FROM", image: "golang", platform: "$BUILDPLATFORM", stageName: "build", stageNameRaw: "Build", asKeyword: "AS",
    }],
    ["RUN shell form", "RUN echo $HOME", {
      kind: "RUN", cmdLine: ["echo $HOME"], prependShell: true, json: false, mounts: [], network: "default", security: "sandbox", heredocs: [], flagsUsed: [],
    }],
    ["RUN exec form with --network", 'RUN --network=none ["ls", "-l"]', {
      kind: "RUN", cmdLine: ["ls", "-l"], prependShell: false, json: true, mounts: [], network: "none", security: "sandbox", heredocs: [], flagsUsed: ["network"],
    }],
    ["CMD exec form", 'CMD ["a", "b"]', { kind: "CMD", cmdLine: ["a", "b"], prependShell: false, json: true }],
    ["CMD empty exec form", "CMD []", { kind: "CMD", cmdLine: [], prependShell: false, json: true }],
    ["ENTRYPOINT shell form", "ENTRYPOINT exec top -b", { kind: "ENTRYPOINT", cmdLine: ["exec top -b"], prependShell: true, json: false }],
    ["SHELL", 'SHELL ["/bin/bash", "-c"]', { kind: "SHELL", shell: ["/bin/bash", "-c"] }],
    ["LABEL pairs", 'LABEL a=1 "b"="x y"', { kind: "LABEL", pairs: [{ key: "a", value: "1", legacy: false }, { key: '"b"', value: '"x y"', legacy: false }] }],
    ["LABEL legacy", "LABEL maintainer Someone <a@b>", { kind: "LABEL", pairs: [{ key: "maintainer", value: "Someone <a@b>", legacy: true }] }],
    ["MAINTAINER", "MAINTAINER Jane Doe", { kind: "MAINTAINER", maintainer: "Jane Doe" }],
    ["EXPOSE", "EXPOSE 80/tcp 53/udp", { kind: "EXPOSE", ports: ["80/tcp", "53/udp"] }],
    ["ENV both forms", "ENV A=1 B=two", { kind: "ENV", pairs: [{ key: "A", value: "1", legacy: false }, { key: "B", value: "two", legacy: false }] }],
    ["ENV legacy", "ENV PATH /a:$PATH", { kind: "ENV", pairs: [{ key: "PATH", value: "/a:$PATH", legacy: true }] }],
    ["ADD with every flag", "ADD --chown=1:2 --chmod=644 --link --keep-git-dir=true --checksum=sha256:x --exclude=*.md --exclude=a --unpack=false src1 src2 /dst/", {
      kind: "ADD", sources: ["src1", "src2"], contents: [], dest: "/dst/", chown: "1:2", chmod: "644", link: true, keepGitDir: true,
      checksum: "sha256:x", exclude: ["*.md", "a"], unpack: false, json: false,
    }],
    ["COPY with every flag", "COPY --from=build --chown=app --chmod=755 --link --parents --exclude=x a /b", {
      kind: "COPY", sources: ["a"], contents: [], dest: "/b", from: "build", chown: "app", chmod: "755", link: true, parents: true, exclude: ["x"], json: false,
    }],
    ["COPY JSON form", 'COPY ["a b", "/c d/"]', {
      kind: "COPY", sources: ["a b"], contents: [], dest: "/c d/", from: undefined, chown: undefined, chmod: undefined, link: false, parents: false, exclude: [], json: true,
    }],
    ["VOLUME", 'VOLUME ["/data", " /logs "]', { kind: "VOLUME", volumes: ["/data", "/logs"], json: true }],
    ["USER", "USER app:app", { kind: "USER", user: "app:app" }],
    ["WORKDIR", "WORKDIR /src", { kind: "WORKDIR", path: "/src" }],
    ["ARG several with defaults", 'ARG A B=2 C="x y"', { kind: "ARG", args: [{ key: "A" }, { key: "B", value: "2" }, { key: "C", value: '"x y"' }] }],
    ["ONBUILD", "ONBUILD RUN make", { kind: "ONBUILD", expression: "RUN make", trigger: "RUN" }],
    ["STOPSIGNAL", "STOPSIGNAL SIGKILL", { kind: "STOPSIGNAL", signal: "SIGKILL" }],
    ["HEALTHCHECK NONE", "HEALTHCHECK NONE", { kind: "HEALTHCHECK", test: ["NONE"], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0 }],
    ["HEALTHCHECK with every flag", "HEALTHCHECK --interval=30s --timeout=1m30s --start-period=1.5s --start-interval=100ms --retries=3 CMD curl -f http://x/", {
      kind: "HEALTHCHECK", test: ["CMD-SHELL", "curl -f http://x/"], interval: 30e9, timeout: 90e9, startPeriod: 1.5e9, startInterval: 100e6, retries: 3,
    }],
    ["HEALTHCHECK exec form", 'HEALTHCHECK CMD ["/check", "-q"]', {
      kind: "HEALTHCHECK", test: ["CMD", "/check", "-q"], interval: 0, timeout: 0, startPeriod: 0, startInterval: 0, retries: 0,
    }],
  ];
  for (const [name, line, want] of rows) test(name, () => expect(fields(line)).toEqual(want));
});

describe("every instruction keeps its source", () => {
  test("range, original text, keyword as written, flags and comments", () => {
    const [, run] = lowerInstructions(parseDockerfile("FROM a\n# why\nrun --network=host \\\n  make"));
    expect(run).toMatchObject({ range: { startLine: 3, endLine: 4 }, original: "run --network=host   make", keyword: "run", flags: ["--network=host"], comments: ["why"] });
  });
  test("ARG picks up its description comment", () => {
    const [arg] = lowerInstructions(parseDockerfile("# VERSION the release to build\nARG VERSION=1"));
    expect(arg).toMatchObject({ args: [{ key: "VERSION", value: "1", comment: "the release to build" }] });
  });
});

describe("RUN --mount of every type", () => {
  const mount = (spec: string): unknown => {
    const { raw: _raw, ...rest } = (lower1(`RUN --mount=${spec} true`) as { mounts: { raw: string }[] }).mounts[0]!;
    return rest;
  };
  const rows: [string, string, Record<string, unknown>][] = [
    ["bind (default type, read-only)", "target=/src,source=.,from=build", { type: "bind", target: "/src", source: ".", from: "build", readOnly: true }],
    ["bind rw", "type=bind,target=/src,rw", { type: "bind", target: "/src", readOnly: false }],
    ["cache with options", "type=cache,target=/root/.cache,id=go,sharing=locked,mode=0700,uid=1000,gid=1000", {
      type: "cache", target: "/root/.cache", id: "go", sharing: "locked", mode: 0o700, uid: 1000, gid: 1000, readOnly: false,
    }],
    ["tmpfs with size", "type=tmpfs,target=/tmp,size=64m", { type: "tmpfs", target: "/tmp", size: 64 * 1024 * 1024, readOnly: false }],
    ["secret required", "type=secret,id=npmrc,target=/root/.npmrc,required", { type: "secret", id: "npmrc", target: "/root/.npmrc", required: true, readOnly: true }],
    ["secret as env", "type=secret,id=tok,env=TOKEN", { type: "secret", id: "tok", env: "TOKEN", readOnly: true }],
    ["ssh", "type=ssh,id=default,required=true", { type: "ssh", id: "default", required: true, readOnly: true }],
    ["quoted CSV field (quotes escaped past the flag lexer)", 'type=bind,target=/a,\\"source=x,y\\",ro', { type: "bind", target: "/a", source: "x,y", readOnly: true }],
  ];
  for (const [name, spec, want] of rows) test(name, () => expect(mount(spec)).toEqual(want));
});

describe("errors: message names the instruction, did you mean", () => {
  const rows: [string, string, string][] = [
    ["misspelt instruction", "RUNN x", "unknown instruction: RUNN (did you mean RUN?)"],
    ["lower-case misspelt instruction", "copyy a b", "unknown instruction: copyy (did you mean COPY?)"],
    ["far-off instruction", "FOOBAR x", "unknown instruction: FOOBAR"],
    ["misspelt COPY flag", "COPY --chmown=1 a b", "COPY: unknown flag: --chmown (did you mean --chown?)"],
    ["misspelt RUN flag", "RUN --mout=type=cache,target=/x a", "RUN: unknown flag: --mout (did you mean --mount?)"],
    ["flag on ENV", "ENV --x=1 A=b", "ENV: unknown flag: --x"],
    ["duplicate flag", "COPY --from=a --from=b x y", "COPY: Duplicate flag specified: --from"],
    ["string flag without value", "COPY --from a b", "COPY: Missing a value on flag: --from"],
    ["bad boolean", "COPY --link=yes a b", "COPY: Expecting boolean value for flag --link, not: yes"],
    ["COPY without destination", "COPY a", "COPY requires at least two arguments, but only one was provided. Destination could not be determined"],
    ["ADD without destination", "ADD a", "ADD requires at least two arguments"],
    ["heredoc as destination", "COPY a <<EOF\nx\nEOF", "COPY cannot accept a heredoc as a destination"],
    ["FROM with two words", "FROM a b", "FROM requires either one or three arguments"],
    ["bad stage name", "FROM a AS 1st", 'FROM: invalid name for build stage: "1st", name can\'t start with a number or contain symbols'],
    ["USER empty", "USER", "USER requires exactly one argument"],
    ["WORKDIR empty", "WORKDIR", "WORKDIR requires exactly one argument"],
    ["MAINTAINER empty", "MAINTAINER", "MAINTAINER requires exactly one argument"],
    ["EXPOSE empty", "EXPOSE", "EXPOSE requires at least one argument"],
    ["VOLUME empty string", 'VOLUME [""]', "VOLUME specified can not be an empty string"],
    ["ARG blank name", "ARG =1", "ARG names can not be blank"],
    ["ENV blank name", "ENV =1", "ENV names can not be blank"],
    ["SHELL shell form", "SHELL /bin/sh -c", "SHELL requires the arguments to be in JSON form"],
    ["ONBUILD ONBUILD", "ONBUILD ONBUILD RUN x", "ONBUILD: Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"],
    ["ONBUILD FROM", "ONBUILD FROM x", "ONBUILD: FROM isn't allowed as an ONBUILD trigger"],
    ["ONBUILD MAINTAINER", "ONBUILD maintainer x", "ONBUILD: MAINTAINER isn't allowed as an ONBUILD trigger"],
    ["HEALTHCHECK unknown type", "HEALTHCHECK CONNECT TCP 7000", 'HEALTHCHECK: Unknown type "CONNECT" in HEALTHCHECK (try CMD)'],
    ["HEALTHCHECK CMD alone", "HEALTHCHECK CMD", "HEALTHCHECK: Missing command after HEALTHCHECK CMD"],
    ["HEALTHCHECK NONE with args", "HEALTHCHECK NONE x", "HEALTHCHECK NONE takes no arguments"],
    ["HEALTHCHECK too short interval", "HEALTHCHECK --interval=1us CMD x", "HEALTHCHECK --interval cannot be less than 1ms"],
    ["HEALTHCHECK bad duration", "HEALTHCHECK --timeout=5 CMD x", 'HEALTHCHECK --timeout: time: missing unit in duration "5"'],
    ["HEALTHCHECK negative retries", "HEALTHCHECK --retries=-1 CMD x", "HEALTHCHECK: --retries cannot be negative (-1)"],
    ["misspelt HEALTHCHECK flag", "HEALTHCHECK --intervall=5s CMD x", "HEALTHCHECK: unknown flag: --intervall (did you mean --interval?)"],
    ["bad network", "RUN --network=hots x", 'RUN: invalid network mode "hots" (did you mean host?)'],
    ["bad security", "RUN --security=root x", 'RUN: security "root" is not valid'],
    ["mount type misspelt", "RUN --mount=type=cahce,target=/x x", 'RUN: --mount=type=cahce,target=/x: unsupported mount type "cahce" (did you mean cache?)'],
    ["mount key misspelt", "RUN --mount=type=cache,traget=/x x", "unexpected key 'traget' in 'traget=/x' (did you mean target?)"],
    ["mount sharing misspelt", "RUN --mount=type=cache,target=/x,sharing=lockd x", 'unsupported sharing value "lockd" (did you mean locked?)'],
    ["mount from with a variable", "RUN --mount=from=$X,target=/x x", "'from' doesn't support variable expansion, define alias stage instead"],
    ["mount bare key", "RUN --mount=type=cache,target x", "invalid field 'target' must be a key=value pair"],
    ["mount mode on bind", "RUN --mount=target=/x,mode=0755 x", 'mode not allowed for "bind" type mounts'],
    ["mount size on cache", "RUN --mount=type=cache,target=/x,size=1m x", "unexpected key 'size' for mount type 'cache'"],
    ["mount bad mode", "RUN --mount=type=cache,target=/x,mode=999 x", "invalid value 999 for mode"],
    ["secret without id or target", "RUN --mount=type=secret x", "invalid secret mount. one of source, target required"],
    ["secret with from", "RUN --mount=type=secret,id=a,from=b x", "secret mount should not have a from"],
    ["sharing on bind", "RUN --mount=target=/x,sharing=locked x", "invalid cache sharing set for bind mount"],
    ["bad CSV", 'RUN --mount=target=/x\\"y x', 'failed to parse csv mounts: bare " in non-quoted-field'],
  ];
  for (const [name, line, message] of rows) {
    test(name, () => {
      try {
        lower1(line);
        throw new Error("accepted");
      } catch (err) {
        expect(err).toBeInstanceOf(DockerfileError);
        expect((err as DockerfileError).code).toBe("E_DOCKERFILE_INSTRUCTION");
        expect((err as DockerfileError).message).toContain(message);
      }
    });
  }
});

describe("errors land on the instruction's lines", () => {
  const src = [
    "FROM alpine", // 1
    "RUN --mount=type=cache,target=/x \\", // 2
    "    --netwrk=host make", // 3
    "COPY a", // 4
    "", // 5
    "USER", // 6
    "ONBUILD FROM x", // 7
    "HEALTHCHECK --interval=1ns \\", // 8
    "  CMD true", // 9
  ].join("\n");
  test("every error, in order, with its start and end line", () => {
    const errors: DockerfileError[] = [];
    const out = lowerInstructions(parseDockerfile(src, { file: "Dockerfile.dev" }), { errors });
    expect(out.map((i) => i.kind)).toEqual(["FROM"]);
    expect(errors.map((e) => [e.range?.startLine, e.range?.endLine])).toEqual([
      [2, 3],
      [4, 4],
      [6, 6],
      [7, 7],
      [8, 9],
    ]);
    expect(errors[0]!.located).toBe("Dockerfile.dev:2: RUN: unknown flag: --netwrk (did you mean --network?)");
    expect(errors[1]!.snippet).toContain(">>> COPY a");
  });
});
