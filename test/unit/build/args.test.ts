import { describe, expect, test } from "bun:test";
import { allowedArgs, argValue, declareArg, declareMetaArg, enterStage, metaEnv, newArgScope, runArgsPrefix, unusedBuildArgs } from "../../../src/build/args.ts";

describe("build args with Docker's classic scoping", () => {
  test("--build-arg reaches a RUN only after ARG declares it", () => {
    const s = newArgScope(["V=cli"]);
    expect(allowedArgs(s, [])).toEqual([]);
    expect(allowedArgs(declareArg(s, "V", "def"), [])).toEqual(["V=cli"]);
  });
  test("the ARG default applies without --build-arg", () => {
    expect(argValue(declareArg(newArgScope([]), "V", "def"), "V")).toBe("def");
  });
  test("ARG without default takes the meta arg's value", () => {
    const s = enterStage(declareMetaArg(newArgScope([]), "V", "meta"));
    expect(argValue(s, "V")).toBeUndefined();
    expect(argValue(declareArg(s, "V", undefined), "V")).toBe("meta");
  });
  test("meta args are visible to FROM, with --build-arg overrides", () => {
    const s = declareMetaArg(declareMetaArg(newArgScope(["B=cli"]), "A", "1"), "B", "2");
    expect([...metaEnv(s)]).toEqual([["A", "1"], ["B", "cli"]]);
  });
  test("ENV shadows an ARG of the same name", () => {
    expect(allowedArgs(declareArg(newArgScope([]), "V", "1"), ["V=env"])).toEqual([]);
  });
  test("--build-arg K alone takes K from the environment", () => {
    expect(argValue(declareArg(newArgScope(["K"], { K: "fromenv" }), "K", undefined), "K")).toBe("fromenv");
  });
  test("proxy variables need no ARG but stay out of the |N prefix", () => {
    const s = newArgScope(["HTTP_PROXY=http://p"]);
    const allowed = allowedArgs(s, []);
    expect(allowed).toEqual(["HTTP_PROXY=http://p"]);
    expect(runArgsPrefix(s, allowed)).toEqual(["|0"]);
  });
  test("the |N prefix lists declared args sorted", () => {
    const s = declareArg(declareArg(newArgScope(["B=2"]), "B", undefined), "A", "1");
    expect(runArgsPrefix(s, allowedArgs(s, []))).toEqual(["|2", "A=1", "B=2"]);
  });
  test("no args, no prefix", () => expect(runArgsPrefix(newArgScope([]), [])).toEqual([]));
  test("unused --build-args are reported, proxies never", () => {
    expect(unusedBuildArgs(new Map([["A", "1"], ["B", "2"], ["http_proxy", "x"]]), new Set(["A"]))).toEqual(["B"]);
  });
});
