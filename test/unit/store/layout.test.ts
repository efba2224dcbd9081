import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { ANNOTATION_REF_NAME, MEDIA_TYPE_OCI_MANIFEST, type Descriptor, type Digest } from "../../../src/image/index.ts";
import { emptyIndex, Layout, removeRef, setRef } from "../../../src/store/layout.ts";
import { tempDir } from "../../harness.ts";

const desc = (c: string): Descriptor => ({ mediaType: MEDIA_TYPE_OCI_MANIFEST, digest: `sha256:${c.repeat(64)}` as Digest, size: 10 });

describe("OCI layout files", () => {
  test("init writes oci-layout and an empty index, and keeps existing ones", () => {
    using dir = tempDir("layout");
    const layout = new Layout(dir.path);
    layout.init();
    expect(JSON.parse(readFileSync(dir.join("oci-layout"), "utf8"))).toEqual({ imageLayoutVersion: "1.0.0" });
    expect(layout.readIndex()).toEqual(emptyIndex());
    layout.writeIndex(setRef(emptyIndex(), "docker.io/library/a:1", desc("a")));
    layout.init();
    expect(layout.refs().map((r) => r.ref)).toEqual(["docker.io/library/a:1"]);
  });

  test("index writes leave no temp files behind", () => {
    using dir = tempDir("layout");
    const layout = new Layout(dir.path);
    layout.init();
    for (let i = 0; i < 5; i++) layout.writeIndex(setRef(layout.readIndex(), `docker.io/library/a:${i}`, desc("a")));
    expect(readdirSync(dir.path).sort()).toEqual(["index.json", "oci-layout"]);
    expect(layout.refs()).toHaveLength(5);
  });

  test("a damaged index.json is an E_STORE error with a hint", () => {
    using dir = tempDir("layout");
    writeFileSync(dir.join("index.json"), "{not json");
    expect(() => new Layout(dir.path).readIndex()).toThrow(/not a valid OCI index/);
  });

  test("a missing index.json reads as empty", () => {
    using dir = tempDir("layout");
    expect(existsSync(dir.join("index.json"))).toBe(false);
    expect(new Layout(dir.path).readIndex().manifests).toEqual([]);
  });
});

describe("setRef and removeRef", () => {
  const A1 = "docker.io/library/a:1";
  const A2 = "docker.io/library/a:2";
  const rows: [string, () => { refs: [string, string][]; removed?: boolean }, { refs: [string, string][]; removed?: boolean }][] = [
    ["a new ref is added", () => ({ refs: entries(setRef(emptyIndex(), A1, desc("a"))) }), { refs: [[A1, "a"]] }],
    ["re-pointing a ref replaces its entry", () => ({ refs: entries(setRef(setRef(emptyIndex(), A1, desc("a")), A1, desc("b"))) }), { refs: [[A1, "b"]] }],
    ["two refs may name one manifest", () => ({ refs: entries(setRef(setRef(emptyIndex(), A1, desc("a")), A2, desc("a"))) }), { refs: [[A1, "a"], [A2, "a"]] }],
    [
      "removing one ref keeps the others",
      () => {
        const r = removeRef(setRef(setRef(emptyIndex(), A1, desc("a")), A2, desc("a")), A1);
        return { refs: entries(r.index), removed: r.removed };
      },
      { refs: [[A2, "a"]], removed: true },
    ],
    ["removing an absent ref says so", () => {
      const r = removeRef(emptyIndex(), A1);
      return { refs: entries(r.index), removed: r.removed };
    }, { refs: [], removed: false }],
  ];
  for (const [name, run, want] of rows) test(name, () => expect(run()).toEqual(want));

  test("entries carry only the ref.name annotation", () => {
    const i = setRef(emptyIndex(), A1, { ...desc("a"), annotations: { other: "x" } });
    expect(i.manifests[0]!.annotations).toEqual({ [ANNOTATION_REF_NAME]: A1 });
  });
});

function entries(index: ReturnType<typeof emptyIndex>): [string, string][] {
  return index.manifests.map((m) => [m.annotations![ANNOTATION_REF_NAME]!, m.digest.slice(7, 8)]);
}
