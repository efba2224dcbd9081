// COPY's reuse of unchanged files (layer/copy-reuse.ts) on the real
// filesystem: a first copy makes the "snapshot", a second copy of the same
// sources into a new root may hard-link from it. A file is linked only when
// the build says its source is unchanged AND the snapshot's file is exactly
// what copying would make; everything else is copied, and the snapshot
// itself is never changed.
import { describe, expect, test } from "bun:test";
import { chmodSync, linkSync, lchownSync, lstatSync, mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { copyIntoRoot, listTree, type CopyRequest, type CopyReuse } from "../../../src/layer/index.ts";
import { isRoot, skipReason, tempDir } from "../../harness.ts";

const skip = skipReason(!isRoot, "copy reuse tests need root (copies are owned by 0:0 and chowned)");
const MTIME = 1_600_000_000;

interface Row {
  name: string;
  /** Change the sources or the snapshot after the first copy; returns the reuse to hand to the second. */
  between: (d: { ctx: string; prev: string }) => Partial<CopyReuse> | void;
  /** Files of the second copy that must be links to the snapshot's (the rest must be fresh copies). */
  linked: string[];
  chmod?: CopyRequest["chmod"];
}

const rows: Row[] = [
  {
    name: "unchanged files are linked, the changed one is copied",
    between: ({ ctx }) => {
      writeFileSync(`${ctx}/tree/b`, "b, changed\n");
      utimesSync(`${ctx}/tree/b`, MTIME, MTIME);
      return { changed: [`${ctx}/tree/b`] };
    },
    linked: ["a", "sub/c"],
  },
  { name: "a snapshot file with another mode is copied", between: ({ prev }) => chmodSync(`${prev}/tree/a`, 0o600), linked: ["b", "sub/c"] },
  { name: "a snapshot file with another mtime is copied", between: ({ prev }) => utimesSync(`${prev}/tree/a`, MTIME + 1, MTIME + 1), linked: ["b", "sub/c"] },
  { name: "a snapshot file with another owner is copied", between: ({ prev }) => lchownSync(`${prev}/tree/a`, 1, 1), linked: ["b", "sub/c"] },
  { name: "a file missing from the snapshot is copied", between: ({ prev }) => rmSync(`${prev}/tree/sub/c`), linked: ["a", "b"] },
  { name: "sources outside the compared context dir are never linked", between: ({ ctx }) => ({ contextDir: `${ctx}/elsewhere` }), linked: [] },
  {
    name: "one snapshot inode is linked once (the layer must not get a hard-link entry)",
    between: ({ prev }) => {
      rmSync(`${prev}/tree/b`);
      linkSync(`${prev}/tree/a`, `${prev}/tree/b`);
    },
    linked: ["a", "sub/c"],
  },
  { name: "--chmod: linked when the snapshot has the mode chmod gives", between: () => {}, linked: ["a", "b", "sub/c"], chmod: { octal: 0o640 } },
];

describe.skipIf(skip)("COPY reuses unchanged files from the last run's snapshot", () => {
  for (const r of rows) {
    test(r.name, () => {
      using d = tempDir("copy-reuse");
      const ctx = d.join("ctx");
      mkdirSync(`${ctx}/tree/sub`, { recursive: true });
      for (const [f, text] of [["a", "a\n"], ["b", "b\n"], ["sub/c", "c\n"]] as const) {
        writeFileSync(`${ctx}/tree/${f}`, text);
        utimesSync(`${ctx}/tree/${f}`, MTIME, MTIME);
      }
      const copy = (root: string, reuse?: CopyReuse) => {
        mkdirSync(root, { recursive: true });
        const item = { path: `${ctx}/tree`, name: "tree", kind: "dir" as const, perm: 0o755, mtime: MTIME, entries: listTree(`${ctx}/tree`) };
        copyIntoRoot(root, { dest: "/tree", items: [item], identity: { uid: 0, gid: 0 }, chmod: r.chmod, reuse });
      };
      const prev = d.join("prev");
      copy(prev);
      const reuse: CopyReuse = { snapshot: prev, contextDir: ctx, changed: [], ...(r.between({ ctx, prev }) ?? {}) };
      const before = readFileSync(`${prev}/tree/b`, "utf8");
      const next = d.join("next");
      copy(next, reuse);
      const ino = (p: string) => lstatSync(p, { throwIfNoEntry: false })?.ino;
      const linked = ["a", "b", "sub/c"].filter((f) => ino(`${next}/tree/${f}`) === ino(`${prev}/tree/${f}`));
      expect(linked).toEqual(r.linked);
      for (const f of ["a", "b", "sub/c"]) {
        expect(readFileSync(`${next}/tree/${f}`, "utf8")).toBe(readFileSync(`${ctx}/tree/${f}`, "utf8"));
        const st = lstatSync(`${next}/tree/${f}`);
        expect([st.mode & 0o7777, st.uid, st.gid, st.mtimeMs]).toEqual([r.chmod ? 0o640 : 0o644, 0, 0, MTIME * 1000]);
      }
      // The snapshot is never written to: its b still has the content of the first copy.
      expect(readFileSync(`${prev}/tree/b`, "utf8")).toBe(before);
    });
  }
});
