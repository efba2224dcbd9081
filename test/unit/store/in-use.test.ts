import { describe, expect, test } from "bun:test";
import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { snapshotsInUse } from "../../../src/store/in-use.ts";
import { tempDir } from "../../harness.ts";

const A = "a".repeat(64);
const B = "b".repeat(64);
const C = "c".repeat(64);

/** A fake /proc: pid → [mount namespace, mountinfo text]. */
function fakeProc(root: string, procs: Record<string, [string, string] | "unreadable">): string {
  for (const [pid, p] of Object.entries(procs)) {
    const dir = join(root, pid);
    mkdirSync(join(dir, "ns"), { recursive: true });
    if (p === "unreadable") continue;
    symlinkSync(p[0], join(dir, "ns/mnt"));
    writeFileSync(join(dir, "mountinfo"), p[1]);
  }
  mkdirSync(join(root, "self"), { recursive: true });
  return root;
}

const overlay = (lower: string) => `600 500 0:90 / / rw,relatime - overlay overlay rw,lowerdir=${lower},upperdir=/x/upper,workdir=/x/work\n`;

describe("snapshotsInUse", () => {
  const S = "/store/snapshots";
  const rows: [string, Record<string, [string, string] | "unreadable">, string[]][] = [
    ["no overlays", { "1": ["mnt:[1]", "22 27 0:21 / /proc rw - proc proc rw\n"] }, []],
    ["a container's stack, top-most first", { "1": ["mnt:[1]", ""], "42": ["mnt:[9]", overlay(`${S}/${B}:${S}/${A}`)] }, [A, B]],
    ["lowerdir+ style options from fsconfig", { "7": ["mnt:[7]", `600 500 0:90 / / rw - overlay overlay rw,lowerdir+=${S}/${C},lowerdir+=${S}/${A}\n`] }, [A, C]],
    ["a path with a space is octal-escaped in mountinfo", { "8": ["mnt:[8]", overlay(`/my\\040store/snapshots/${A}`)] }, []],
    ["another store's snapshots do not count", { "9": ["mnt:[9]", overlay(`/other/snapshots/${A}`)] }, []],
    ["a non-overlay mount naming the dir does not count", { "5": ["mnt:[5]", `1 2 0:1 / /m rw - ext4 /dev/x rw,note=${S}/${A}\n`] }, []],
    ["unreadable processes are skipped", { "3": "unreadable", "4": ["mnt:[4]", overlay(`${S}/${A}`)] }, [A]],
  ];
  for (const [name, procs, want] of rows) {
    test(name, () => {
      using dir = tempDir("proc");
      expect([...snapshotsInUse(S, fakeProc(dir.path, procs))].sort()).toEqual(want);
    });
  }

  test("a store path with a space matches its escaped form", () => {
    using dir = tempDir("proc");
    const proc = fakeProc(dir.path, { "8": ["mnt:[8]", overlay(`/my\\040store/snapshots/${A}`)] });
    expect([...snapshotsInUse("/my store/snapshots", proc)]).toEqual([A]);
  });

  test("one read per mount namespace", () => {
    using dir = tempDir("proc");
    const proc = fakeProc(dir.path, { "10": ["mnt:[1]", overlay(`${S}/${A}`)], "11": ["mnt:[1]", overlay(`${S}/${B}`)] });
    expect([...snapshotsInUse(S, proc)]).toHaveLength(1);
  });

  test("the real /proc can be read", () => {
    expect(snapshotsInUse("/nonexistent/snapshots").size).toBe(0);
  });
});
