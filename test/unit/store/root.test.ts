import { describe, expect, test } from "bun:test";
import { defaultStoreRoot, resolveStoreRoot } from "../../../src/store/root.ts";
import { isRealRoot } from "../../../src/util/userns.ts";
import { skipReason } from "../../harness.ts";

describe("where the store lives", () => {
  const notRoot = skipReason(!isRealRoot(), "not real root: /var/lib/kiln is root's store");
  const rows: [string, Record<string, string>, string, boolean][] = [
    ["real root uses /var/lib/kiln", { HOME: "/root" }, "/var/lib/kiln", true],
    ["inside kiln's user namespace: the user's XDG dir", { KILN_IN_USERNS: "1", HOME: "/home/ann", XDG_DATA_HOME: "/home/ann/.data" }, "/home/ann/.data/kiln", false],
    ["inside kiln's user namespace without XDG: ~/.local/share", { KILN_IN_USERNS: "1", HOME: "/home/ann" }, "/home/ann/.local/share/kiln", false],
    ["a relative XDG_DATA_HOME is ignored (XDG spec)", { KILN_IN_USERNS: "1", HOME: "/home/ann", XDG_DATA_HOME: "rel" }, "/home/ann/.local/share/kiln", false],
  ];
  for (const [name, env, want, needsRoot] of rows) {
    test.skipIf(needsRoot && notRoot)(name, () => expect(defaultStoreRoot(env)).toBe(want));
  }

  test("--root wins over KILN_ROOT, which wins over the default", () => {
    expect(resolveStoreRoot("/a", { KILN_ROOT: "/b" })).toBe("/a");
    expect(resolveStoreRoot(undefined, { KILN_ROOT: "/b" })).toBe("/b");
    expect(resolveStoreRoot("rel/store", {})).toBe(`${process.cwd()}/rel/store`);
    expect(resolveStoreRoot(undefined, { KILN_IN_USERNS: "1", HOME: "/h" })).toBe("/h/.local/share/kiln");
  });
});
