import { describe, expect, test } from "bun:test";
import { compileTemplate, goJson, goString } from "../../../src/cli/commands/_template.ts";

const image = {
  Id: "sha256:abc",
  RepoTags: ["alpine:3.20", "alpine:latest"],
  Config: { Cmd: ["/bin/sh"], Env: ["A=<1>"], Labels: { b: "2", a: "1" }, Entrypoint: null, User: "" },
  Size: 7797760,
};

describe("Go template subset used by --format", () => {
  const rows: [string, string, string][] = [
    ["a field", "{{.Id}}", "sha256:abc"],
    ["a nested field", "{{.Config.User}}x", "x"],
    ["a slice prints like Go", "{{.Config.Cmd}}", "[/bin/sh]"],
    ["a map prints sorted like Go", "{{.Config.Labels}}", "map[a:1 b:2]"],
    ["null prints <nil>", "{{.Config.Entrypoint}}", "<nil>"],
    ["a missing key prints <no value>", "{{.Nope}}", "<no value>"],
    ["json escapes like encoding/json", "{{json .Config.Env}}", '["A=\\u003c1\\u003e"]'],
    ["json through a pipe", "{{.RepoTags | json}}", '["alpine:3.20","alpine:latest"]'],
    ["index into a list", "{{index .RepoTags 1}}", "alpine:latest"],
    ["index into a map", '{{index .Config.Labels "b"}}', "2"],
    ["join", '{{join .RepoTags ", "}}', "alpine:3.20, alpine:latest"],
    ["upper and len", "{{upper .Id}} {{len .RepoTags}}", "SHA256:ABC 2"],
    ["range over a list", "{{range .RepoTags}}<{{.}}>{{end}}", "<alpine:3.20><alpine:latest>"],
    ["range with else on empty", "{{range .Config.Cmd}}{{.}}{{end}}|{{range .Config.User}}x{{else}}none{{end}}", "/bin/sh|none"],
    ["if / else", "{{if .Config.Entrypoint}}ep{{else}}no ep{{end}}", "no ep"],
    ["trim markers", "a {{- .Size -}} b", "a7797760b"],
    ["text only", "plain", "plain"],
  ];
  for (const [name, tpl, want] of rows) test(name, () => expect(compileTemplate(tpl)(image)).toBe(want));

  const bad: [string, string, RegExp][] = [
    ["unknown function", "{{frobnicate .Id}}", /function "frobnicate" not defined/],
    ["missing end", "{{range .RepoTags}}x", /missing \{\{end\}\}/],
    ["stray end", "x{{end}}", /unexpected \{\{end\}\}/],
  ];
  for (const [name, tpl, re] of bad) test(`${name} is a usage error`, () => expect(() => compileTemplate(tpl)(image)).toThrow(re));
});

test("goString and goJson on scalars", () => {
  expect(goString(12)).toBe("12");
  expect(goString(true)).toBe("true");
  expect(goJson(undefined)).toBe("null");
  expect(goJson("a&b")).toBe('"a\\u0026b"');
});
