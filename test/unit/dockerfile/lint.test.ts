import { describe, expect, test } from "bun:test";
import { checkDockerfile, RULES } from "../../../src/dockerfile/index.ts";

const findings = (src: string): [string, number, string][] => checkDockerfile(src).warnings.map((w) => [w.rule, w.line, w.message]);

describe("build checks, one row per rule", () => {
  const rows: [string, string, [string, number, string][]][] = [
    ["StageNameCasing", "FROM a AS Build", [["StageNameCasing", 1, "Stage name 'Build' should be lowercase"]]],
    ["FromAsCasing", "FROM a as b", [["FromAsCasing", 1, "'as' and 'FROM' keywords' casing do not match"]]],
    ["NoEmptyContinuation", "FROM a\nRUN a \\\n\n b", [["NoEmptyContinuation", 4, "Empty continuation line found in: RUN a  b"]]],
    ["ConsistentInstructionCasing", "FROM a\nRUN x\nrun y", [["ConsistentInstructionCasing", 3, "Command 'run' should match the case of the command majority (uppercase)"]]],
    ["DuplicateStageName", "FROM a AS x\nFROM b AS x", [["DuplicateStageName", 2, 'Duplicate stage name "x", stage names should be unique']]],
    ["ReservedStageName", "FROM a AS scratch", [["ReservedStageName", 1, 'Stage name should not use the same name as reserved stage "scratch"']]],
    ["JSONArgsRecommended", "FROM a\nENTRYPOINT run me", [["JSONArgsRecommended", 2, "JSON arguments recommended for ENTRYPOINT to prevent unintended behavior related to OS signals"]]],
    ["MaintainerDeprecated", "FROM a\nMAINTAINER me", [["MaintainerDeprecated", 2, "Maintainer instruction is deprecated in favor of using label"]]],
    ["UndefinedArgInFrom", "ARG VERSION\nFROM a:$VERSON", [["UndefinedArgInFrom", 2, "FROM argument 'VERSON' is not declared (did you mean VERSION?)"]]],
    ["WorkdirRelativePath", "FROM a\nWORKDIR app", [["WorkdirRelativePath", 2, 'Relative workdir "app" can have unexpected results if the base image changes']]],
    ["UndefinedVar in a scratch stage", "FROM scratch\nCOPY $SRC /", [["UndefinedVar", 2, "Usage of undefined variable '$SRC'"]]],
    ["UndefinedVar typo on an image stage", "FROM a\nENV APP_HOME=/app\nWORKDIR $APP_HOM", [["UndefinedVar", 3, "Usage of undefined variable '$APP_HOM' (did you mean APP_HOME?)"]]],
    ["MultipleInstructionsDisallowed", 'FROM a\nCMD ["a"]\nCMD ["b"]', [["MultipleInstructionsDisallowed", 2, "Multiple CMD instructions should not be used in the same stage because only the last one will be used"]]],
    ["LegacyKeyValueFormat", "FROM a\nENV A b", [["LegacyKeyValueFormat", 2, '"ENV key=value" should be used instead of legacy "ENV key value" format']]],
    ["RedundantTargetPlatform", "FROM --platform=$TARGETPLATFORM a", [["RedundantTargetPlatform", 1, "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior"]]],
    ["SecretsUsedInArgOrEnv", "FROM a\nARG GITHUB_TOKEN\nENV PUBLIC_KEY=x", [["SecretsUsedInArgOrEnv", 2, 'Do not use ARG or ENV instructions for sensitive data (ARG "GITHUB_TOKEN")']]],
    ["ExposeProtoCasing", "FROM a\nEXPOSE 80/TCP", [["ExposeProtoCasing", 2, "Defined protocol '80/TCP' in EXPOSE instruction should be lowercase"]]],
  ];
  for (const [name, src, want] of rows) test(name, () => expect(findings(src)).toEqual(want));

  test("a clean Dockerfile has no findings", () => {
    expect(findings('ARG V=1\nFROM alpine:$V AS build\nENV A=1\nWORKDIR /src\nCOPY . .\nRUN make\nFROM scratch\nCOPY --from=build /out /\nCMD ["/out"]')).toEqual([]);
  });
  test("variables defined by ENV, ARG, a parent stage or predefined are not undefined", () => {
    expect(findings("FROM scratch AS a\nENV A=1\nFROM a\nARG B\nCOPY $A$B$TARGETARCH$HTTP_PROXY /")).toEqual([]);
  });
  test("# check=skip= silences rules; skip=all silences every rule", () => {
    expect(findings("# check=skip=MaintainerDeprecated\nFROM a\nMAINTAINER x")).toEqual([]);
    expect(findings("# check=skip=all\nFROM a AS B\nMAINTAINER x")).toEqual([]);
    expect(checkDockerfile("# check=error=true\nFROM a").warningsAreErrors).toBe(true);
  });
  test("every rule has Docker's documentation URL", () => {
    expect(RULES.JSONArgsRecommended.url).toBe("https://docs.docker.com/go/dockerfile/rule/json-args-recommended/");
    expect(RULES.UndefinedArgInFrom.url).toBe("https://docs.docker.com/go/dockerfile/rule/undefined-arg-in-from/");
  });
});

describe("checkDockerfile collects every error", () => {
  test("parse, instruction and stage errors in line order", () => {
    const r = checkDockerfile("FROM a AS one\nENV X\nRUNN y\nCOPY --from=7 / /\n", { file: "Dockerfile" });
    expect(r.errors.map((e) => e.located)).toEqual([
      "Dockerfile:2: ENV must have two arguments",
      "Dockerfile:3: unknown instruction: RUNN (did you mean RUN?)",
      "Dockerfile:4: COPY --from=7: there is no build stage 7 (stages are numbered 0 to 0)",
    ]);
  });
});
