import { describe, expect, test } from "bun:test";
import { chainIds, type Digest } from "../../../src/image/index.ts";
import { markReachable, unreferencedImages } from "../../../src/store/gc.ts";

const d = (c: string): Digest => `sha256:${c.repeat(64)}`;

// A tiny blob graph: index I → manifests M1, M2; M1 → config C1 (layers L1, L2); M2 → C2 (L2, L3).
const blobs: Record<string, unknown> = {
  [d("1")]: { manifests: [{ digest: d("2") }, { digest: d("3") }] },
  [d("2")]: { config: { digest: d("4") }, layers: [{ digest: d("a") }, { digest: d("b") }] },
  [d("3")]: { config: { digest: d("5") }, layers: [{ digest: d("b") }, { digest: d("c") }] },
  [d("4")]: { rootfs: { diff_ids: [d("d"), d("e")] } },
  [d("5")]: { rootfs: { diff_ids: [d("e")] } },
  [d("6")]: { config: { digest: d("7") }, layers: [{ digest: d("f") }] }, // its config is missing
};
const read = (x: Digest) => blobs[x];

describe("markReachable", () => {
  const rows: [string, Digest[], string[], Digest[]][] = [
    ["nothing from no roots", [], [], []],
    ["a manifest keeps its config and layers", [d("2")], ["2", "4", "a", "b"], chainIds([d("d"), d("e")])],
    ["an index keeps every manifest below it", [d("1")], ["1", "2", "3", "4", "5", "a", "b", "c"], [...chainIds([d("d"), d("e")]), d("e")]],
    ["a manifest whose config is missing still keeps its layers", [d("6")], ["6", "7", "f"], []],
    ["an unreadable root keeps at least itself", [d("9")], ["9"], []],
  ];
  for (const [name, roots, want, chains] of rows) {
    test(name, () => {
      const m = markReachable(roots, read);
      expect([...m.blobs].map((x) => x.slice(7, 8)).sort()).toEqual(want);
      expect([...m.chainIds].sort()).toEqual([...new Set(chains)].sort());
    });
  }
});

describe("unreferencedImages", () => {
  // base ← step1 ← step2 ← final ; other (untagged leaf) ; lone (untagged, no parent)
  const parents = new Map<Digest, Digest | undefined>([
    [d("b"), undefined],
    [d("1"), d("b")],
    [d("2"), d("1")],
    [d("f"), d("2")],
    [d("o"), d("1")],
    [d("l"), undefined],
  ]);
  const ids = [...parents.keys()];
  const rows: [string, Digest[], Digest[]][] = [
    ["a tagged final image keeps its whole chain", [d("f")], [d("o"), d("l")]],
    ["nothing kept: every image goes", [], ids],
    ["a cache-kept intermediate keeps its ancestors only", [d("2")], [d("f"), d("o"), d("l")]],
    ["two roots keep the union", [d("f"), d("o")], [d("l")]],
  ];
  for (const [name, keep, want] of rows) {
    test(name, () => expect(unreferencedImages(ids, new Set(keep), parents).sort()).toEqual([...want].sort()));
  }
});
