import { describe, expect, test } from "bun:test";
import { DockerfileError } from "../../../src/errors.ts";
import { expandInstruction, type Instruction, lowerInstructions, parseDockerfile, planRun, type RunInstruction } from "../../../src/dockerfile/index.ts";

const ENV = { NAME: "app", DIR: "/srv", V: "1.2", EMPTY: "", SIG: "SIGTERM", U: "1000" };
const one = (line: string): Instruction => lowerInstructions(parseDockerfile(line))[0]!;
const expand = (line: string, env: Record<string, string> = ENV) => expandInstruction(one(line), env);

describe("expandInstruction: the fields Docker expands", () => {
  const rows: [string, string, Record<string, unknown>][] = [
    ["FROM image and platform", "FROM --platform=$P img:$V AS x", { image: "img:1.2", platform: "" }],
    ["ENV keys and values, quotes removed", 'ENV K_$NAME="a $DIR" B=${EMPTY:-d}', { pairs: [{ key: "K_app", value: "a /srv", legacy: false }, { key: "B", value: "d", legacy: false }] }],
    ["LABEL", "LABEL v=$V", { pairs: [{ key: "v", value: "1.2", legacy: false }] }],
    ["ARG default", "ARG X=$DIR/bin Y", { args: [{ key: "X", value: "/srv/bin" }, { key: "Y" }] }],
    ["COPY sources, dest, chown, chmod, exclude", "COPY --chown=$U --chmod=${M:-644} --exclude=$NAME.md $NAME.* ${DIR}/", {
      sources: ["app.*"], dest: "/srv/", chown: "1000", chmod: "644", exclude: ["app.md"],
    }],
    ["ADD checksum", "ADD --checksum=sha256:$V https://x/$NAME.tgz /", { sources: ["https://x/app.tgz"], checksum: "sha256:1.2" }],
    ["EXPOSE", "EXPOSE ${PORT:-8080}/tcp", { ports: ["8080/tcp"] }],
    ["VOLUME", 'VOLUME ["$DIR/data"]', { volumes: ["/srv/data"] }],
    ["USER", "USER $U:$U", { user: "1000:1000" }],
    ["WORKDIR", "WORKDIR $DIR/$NAME", { path: "/srv/app" }],
    ["STOPSIGNAL", "STOPSIGNAL $SIG", { signal: "SIGTERM" }],
  ];
  for (const [name, line, want] of rows) test(name, () => expect(expand(line).instruction).toMatchObject(want));

  test("instructions Docker does not expand are returned as they are", () => {
    for (const line of ["RUN echo $NAME", "CMD echo $NAME", 'ENTRYPOINT ["$NAME"]', 'SHELL ["$NAME"]', "MAINTAINER $NAME", "ONBUILD RUN $NAME", "HEALTHCHECK CMD $NAME"]) {
      const inst = one(line);
      expect(expandInstruction(inst, ENV).instruction).toBe(inst);
    }
  });
  test("the original instruction is not modified", () => {
    const inst = one("WORKDIR $DIR");
    expandInstruction(inst, ENV);
    expect((inst as { path: string }).path).toBe("$DIR");
  });
  test("matched and unmatched names", () => {
    const r = expand("COPY $NAME $MISSING ${OTHER:-x} /$DIR");
    expect([...r.matched].sort()).toEqual(["DIR", "NAME"]);
    expect([...r.unmatched].sort()).toEqual(["MISSING", "OTHER"]);
  });
  test("the Dockerfile's escape character is used", () => {
    const inst = lowerInstructions(parseDockerfile("# escape=`\nWORKDIR C:`$DIR"))[0]!;
    expect(expandInstruction(inst, ENV, { escape: "`" }).instruction).toMatchObject({ path: "C:$DIR" });
  });
});

describe("heredoc sources and mounts", () => {
  test("expanding heredoc bodies keep their quotes; quoted delimiters are not expanded", () => {
    const inst = one("COPY <<A <<'B' /d/\necho \"$NAME\" '$V'\nA\nkeep $NAME\nB");
    expect(expandInstruction(inst, ENV).instruction).toMatchObject({
      contents: [
        { name: "A", content: "echo \"app\" '1.2'\n", expand: true },
        { name: "B", content: "keep $NAME\n", expand: false },
      ],
    });
  });
  test("<<- bodies are chomped for COPY", () => {
    expect(one("COPY <<-EOF /x\n\t\tindented\n\tEOF")).toMatchObject({ contents: [{ content: "indented\n" }] });
  });
  test("RUN --mount values are expanded and checked again", () => {
    const r = expand("RUN --mount=type=$T,target=$DIR/cache,id=$NAME true", { ...ENV, T: "cache" });
    expect((r.instruction as RunInstruction).mounts).toMatchObject([{ type: "cache", target: "/srv/cache", id: "app", readOnly: false }]);
    expect(() => expand("RUN --mount=type=$T,target=/x true", { T: "nope" })).toThrow(/unsupported mount type "nope"/);
  });
});

describe("expansion errors are located on the instruction", () => {
  const rows: [string, string, string][] = [
    ["required variable", "FROM a\nWORKDIR ${DIR:?set DIR}", "WORKDIR: failed to process \"${DIR:?set DIR}\": DIR: set DIR"],
    ["bad substitution", "FROM a\nUSER ${}", "USER: failed to process \"${}\": syntax error: bad substitution"],
    ["bad pattern", "FROM a\nENV A=${NAME#\\x}", "invalid pattern"],
  ];
  for (const [name, src, message] of rows) {
    test(name, () => {
      const parsed = parseDockerfile(src);
      const inst = lowerInstructions(parsed)[1]!;
      try {
        expandInstruction(inst, name === "required variable" ? {} : ENV, { source: parsed.source, file: "Dockerfile" });
        throw new Error("accepted");
      } catch (err) {
        expect(err).toBeInstanceOf(DockerfileError);
        const e = err as DockerfileError;
        expect(e.code).toBe("E_DOCKERFILE_EXPANSION");
        expect(e.message).toContain(message);
        expect(e.range).toEqual({ startLine: 2, endLine: 2 });
        expect(e.snippet).toContain(">>>");
      }
    });
  }
});

describe("planRun: how RUN heredocs run (BuildKit dispatchRun)", () => {
  const plan = (src: string) => planRun(one(src) as RunInstruction);
  test("no heredoc: unchanged", () => expect(plan("RUN echo hi")).toEqual({ cmdLine: ["echo hi"], prependShell: true }));
  test("a lone heredoc runs its chomped body in the shell", () => {
    expect(plan("RUN <<-EOF\n\techo a\n\techo b\nEOF")).toEqual({ cmdLine: ["echo a\necho b\n"], prependShell: true });
  });
  test("a lone heredoc with a shebang becomes a script file", () => {
    expect(plan("RUN <<py\n#!/usr/bin/env python3\nprint(1)\npy")).toEqual({
      cmdLine: ["/dev/pipes/py"],
      prependShell: true,
      file: { path: "/dev/pipes/py", content: "#!/usr/bin/env python3\nprint(1)\n" },
    });
  });
  test("a heredoc fed to a command is handed to the shell whole", () => {
    expect(plan("RUN python3 <<EOF > out\nprint(1)\nEOF")).toEqual({ cmdLine: ["python3 <<EOF > out\nprint(1)\nEOF"], prependShell: true });
  });
});
