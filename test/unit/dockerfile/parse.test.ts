import { describe, expect, test } from "bun:test";
import { DockerfileError } from "../../../src/errors.ts";
import { dumpAst, parseDockerfile } from "../../../src/dockerfile/index.ts";

const dump = (src: string): string => dumpAst(parseDockerfile(src).ast);

describe("parseDockerfile: lines, comments, continuations", () => {
  const rows: [string, string, string][] = [
    ["keywords are case-insensitive, dump lower-cases", "from alpine\nRuN echo", '(from "alpine")\n(run "echo")'],
    ["leading blanks before a keyword", "   FROM a\n\t\tRUN b", '(from "a")\n(run "b")'],
    ["CRLF line endings", "FROM a\r\nRUN b \\\r\n  c\r\n", '(from "a")\n(run "b   c")'],
    ["a UTF-8 BOM is ignored", "\ufeffFROM a", '(from "a")'],
    ["comment lines inside a continuation are skipped", "RUN a \\\n# x\n  b", '(run "a   b")'],
    ["an escaped escape does not continue", "RUN a\\\\\nRUN b", '(run "a\\\\\\\\")\n(run "b")'],
    ["trailing blanks after the escape still continue", "RUN a \\  \t\n b", '(run "a  b")'],
    ["a continuation at end of file", "FROM a\nRUN b \\", '(from "a")\n(run "b")'],
    ["a lone escape line continues", "RUN a\\\n\\\nb", '(run "ab")'],
    ["backtick escape changes the continuation character", "# escape=`\nRUN a `\n b\\", '(run "a  b\\\\")'],
    ["unknown instructions keep one empty argument", "FROM a\nFOO bar", '(from "a")\n(foo "")'],
    ["ONBUILD nests its trigger", "ONBUILD COPY --from=x a b", '(onbuild (copy ["--from=x"] "a" "b"))'],
    ["ONBUILD without trigger", "ONBUILD", "(onbuild)"],
    ["flags stop at --", "COPY --a=1 -- --b c", '(copy ["--a=1"] "--b" "c")'],
    ["quoted flag values lose their quotes", 'COPY --chown="a b" x y', '(copy ["--chown=a b"] "x" "y")'],
    ["HEALTHCHECK NONE", "HEALTHCHECK NONE", '(healthcheck "NONE")'],
    ["ARG with several names", 'ARG a b=1 c="x y"', '(arg "a" "b=1" "c=\\"x y\\"")'],
    ["LABEL key=value pairs", 'LABEL a=1 "b c"=2', '(label "a" "1" "=" "\\"b c\\"" "2" "=")'],
    ["exec form with unicode and escapes", 'CMD ["\\u00e9", "\\t"]', '(cmd "é" "\\t")'],
    ["non-printable characters are Go-quoted", "RUN a\u00a0b\u0001", '(run "a\\u00a0b\\x01")'],
  ];
  for (const [name, src, want] of rows) test(name, () => expect(dump(src)).toBe(want));
});

describe("parseDockerfile: line ranges and comments", () => {
  test("every node has its start and end line", () => {
    const r = parseDockerfile("# c\n\nFROM a\nRUN b \\\n\n  c \\\n  d\nCOPY <<EOF /x\nhi\nEOF\nUSER u\n");
    expect(r.ast.map((n) => [n.name, n.startLine, n.endLine])).toEqual([
      ["from", 3, 3],
      ["run", 4, 7],
      ["copy", 8, 10],
      ["user", 11, 11],
    ]);
  });
  test("comments right above an instruction are attached to it", () => {
    const r = parseDockerfile("# one\n# two\nFROM a\n#\n# three\nRUN b");
    expect(r.ast.map((n) => n.comments)).toEqual([["one", "two"], ["three"]]);
  });
  test("original keeps the joined logical line", () => {
    const r = parseDockerfile("RUN a \\\n  b");
    expect(r.ast[0]!.original).toBe("RUN a   b");
  });
});

describe("parseDockerfile: directives", () => {
  test("syntax, escape and check are read from the top", () => {
    const r = parseDockerfile("# syntax=docker/dockerfile:1\n#ESCAPE = `\n# check=skip=all\nFROM a");
    expect(r.directives.map((d) => [d.name, d.value, d.line])).toEqual([
      ["syntax", "docker/dockerfile:1", 1],
      ["escape", "`", 2],
      ["check", "skip=all", 3],
    ]);
    expect(r.escape).toBe("`");
  });
  test("directives stop at the first other line", () => {
    const r = parseDockerfile("\n# escape=`\nFROM a");
    expect(r.directives).toEqual([]);
    expect(r.escape).toBe("\\");
  });
  test("an unknown directive ends the directive block", () => {
    const r = parseDockerfile("# foo=bar\n# escape=`\nFROM a");
    expect(r.escape).toBe("\\");
  });
  test("directive lines are not instruction comments", () => {
    const r = parseDockerfile("# syntax=x\n# about a\nFROM a");
    expect(r.ast[0]!.comments).toEqual(["about a"]);
  });
});

describe("parseDockerfile: heredocs", () => {
  const heredocs = (src: string) => parseDockerfile(src).ast.map((n) => n.heredocs.map((h) => ({ ...h })));
  test("body, chomp, expansion and file descriptor", () => {
    expect(heredocs("RUN <<EOF\n\tfoo\nEOF\nRUN 3<<-'X'\n\tbar $A\n\tX\n")).toEqual([
      [{ name: "EOF", fileDescriptor: 0, expand: true, chomp: false, content: "\tfoo\n" }],
      [{ name: "X", fileDescriptor: 3, expand: false, chomp: true, content: "\tbar $A\n" }],
    ]);
  });
  test("several heredocs in one instruction are read in order", () => {
    const [docs] = heredocs("COPY <<X <<Y /dest\nY\nX\nX\nY\n");
    expect(docs!.map((d) => [d.name, d.content])).toEqual([
      ["X", "Y\n"],
      ["Y", "X\n"],
    ]);
  });
  const rows: [string, string, { name: string; expand: boolean } | undefined][] = [
    ["quoted part disables expansion", "RUN <<eo'f'\nx\neof", { name: "eof", expand: false }],
    ["escaped quote keeps expansion", "RUN <<eo\\'f\nx\neo'f", { name: "eo'f", expand: true }],
    ["double quotes", 'RUN <<"EOF"\nx\nEOF', { name: "EOF", expand: false }],
    ["blanks after <<", "RUN <<  EOF\nx\nEOF", { name: "EOF", expand: true }],
    ["dollar name stays literal", "RUN <<$EOF\n$EOF", { name: "$EOF", expand: true }],
    ["quoted << is no heredoc", 'RUN "<<EOF"', undefined],
    ["exec form is no heredoc", 'RUN ["<<EOF"]', undefined],
    ["USER cannot open a heredoc", "USER <<EOF", undefined],
    ["an unbalanced quote on the line means no heredoc (BuildKit ignores the lexing error)", "RUN <<'EOF", undefined],
    ["ONBUILD RUN can", "ONBUILD RUN <<EOF\nx\nEOF", { name: "EOF", expand: true }],
  ];
  for (const [name, src, want] of rows) {
    test(name, () => {
      const [docs] = heredocs(src);
      expect(docs![0] ? { name: docs![0].name, expand: docs![0].expand } : undefined).toEqual(want);
    });
  }
  test("the heredoc body is raw: comments and continuations inside it are kept", () => {
    const [docs] = heredocs("RUN <<EOF\n# c\na \\\nEOF\n");
    expect(docs![0]!.content).toBe("# c\na \\\n");
  });
});

describe("parseDockerfile: warnings", () => {
  test("empty continuation lines warn with the joined line", () => {
    const r = parseDockerfile("FROM a\nRUN x \\\n\n  y\nRUN ok \\\n  z");
    expect(r.warnings).toEqual([
      {
        rule: "NoEmptyContinuation",
        message: "Empty continuation line found in: RUN x   y",
        line: 4,
        url: "https://docs.docker.com/go/dockerfile/rule/no-empty-continuation/",
      },
    ]);
  });
});

describe("parseDockerfile: errors (message → line)", () => {
  const rows: [string, string, string, number, number][] = [
    ["empty file", "", "file with no instructions", 1, 1],
    ["only comments", "# a\n# b\n", "file with no instructions", 2, 2],
    ["ENV without value", "FROM a\nENV PATH", "ENV must have two arguments", 2, 2],
    ["LABEL word without =", "FROM a\nLABEL a=1 b", `Syntax error - can't find = in "b". Must be of the form: name=value`, 2, 2],
    ["nested JSON", "FROM a\nCMD [1]", "when using JSON array syntax, arrays must be comprised of strings only", 2, 2],
    ["repeated directive", "# escape=\\\n# escape=`\nFROM a", "only one escape parser directive can be used", 2, 2],
    ["bad escape token", "# escape=x\nFROM a", "invalid escape token 'x' does not match ` or \\", 1, 1],
    ["unterminated heredoc", "FROM a\nRUN <<EOF\nbody", "unterminated heredoc", 2, 3],
    ["error on a continued line spans it", "FROM a\nENV \\\n  X", "ENV must have two arguments", 2, 3],
  ];
  for (const [name, src, message, start, end] of rows) {
    test(name, () => {
      let err: unknown;
      try {
        parseDockerfile(src, { file: "x/Dockerfile" });
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DockerfileError);
      const e = err as DockerfileError;
      expect(e.message).toContain(message);
      expect(e.range).toEqual({ startLine: start, endLine: end });
      expect(e.located.startsWith(`x/Dockerfile:${start}: `)).toBe(true);
    });
  }
  test("the snippet marks the offending lines", () => {
    try {
      parseDockerfile("FROM a\nENV X\nRUN b");
      throw new Error("not rejected");
    } catch (e) {
      expect((e as DockerfileError).snippet).toBe(
        ["--------------------", "   1 |     FROM a", "   2 | >>> ENV X", "   3 |     RUN b", "--------------------"].join("\n"),
      );
    }
  });
  test("with an errors sink every bad instruction is reported and the rest parsed", () => {
    const errors: DockerfileError[] = [];
    const r = parseDockerfile("FROM a\nENV X\nRUN ok\nCMD [1]\n", { errors });
    expect(errors.map((e) => e.range?.startLine)).toEqual([2, 4]);
    expect(r.ast.map((n) => n.name)).toEqual(["from", "run"]);
  });
});
