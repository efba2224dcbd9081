import { describe, expect, test } from "bun:test";
import { Store } from "../../../src/store/index.ts";
import { tempDir } from "../../harness.ts";

describe("Store.warn: each warning once per process", () => {
  test("the same text twice, from two stores, reaches onWarning once; another text too", async () => {
    using d = tempDir("store-warn");
    const heard: string[] = [];
    using a = await Store.open({ root: d.join("a"), onWarning: (m) => heard.push(`a: ${m}`) });
    using b = await Store.open({ root: d.join("b"), onWarning: (m) => heard.push(`b: ${m}`) });
    const text = `owners squashed ${process.pid}`;
    a.warn(text);
    a.warn(text);
    b.warn(text);
    b.warn(`${text} (another)`);
    expect(heard).toEqual([`a: ${text}`, `b: ${text} (another)`]);
  });
});
