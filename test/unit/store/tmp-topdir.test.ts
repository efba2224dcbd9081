// <store>/tmp is marked chattr +T (README "Performance") on every store kiln
// opens, also one made before kiln did it: once, recorded in kiln.db; a file
// system without the flag (tmpfs) is skipped quietly; `kiln doctor` reads the
// flag back with lsattr and says what it found.
import { Database } from "bun:sqlite";
import { describe, expect, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { checkTmpTopDir } from "../../../src/cli/commands/doctor.ts";
import { Store } from "../../../src/store/index.ts";
import { hasCommand, skipReason, tempDir } from "../../harness.ts";

/** Does the file system under `dir` take chattr +T? (ext2/3/4 do; tmpfs, xfs and btrfs do not.) */
function takesTopDirFlag(dir: string): boolean {
  const probe = mkdtempSync(join(dir, "probe-"));
  try {
    return Bun.spawnSync(["chattr", "+T", probe], { stderr: "pipe" }).exitCode === 0;
  } finally {
    rmSync(probe, { recursive: true });
  }
}

const lsattr = (dir: string): string => Bun.spawnSync(["lsattr", "-d", dir], { stdout: "pipe" }).stdout.toString().split(/\s+/)[0] ?? "";
const recorded = (root: string): string | undefined => {
  using db = new Database(join(root, "kiln.db"), { readonly: true });
  return (db.query("SELECT value FROM meta WHERE key = 'tmp-topdir'").get() as { value: string } | null)?.value;
};

const noTools = !hasCommand("chattr") || !hasCommand("lsattr");
const scratch = tempDir("topdir-probe");
const ext = !noTools && takesTopDirFlag(scratch.path);
scratch[Symbol.dispose]();
const shm = !noTools && existsSync("/dev/shm") && !takesTopDirFlag("/dev/shm");

interface Row {
  name: string;
  skip: boolean;
  /** Where the store goes (made fresh), and what to do to it before kiln opens it. */
  base: () => string;
  before?: (root: string) => void;
  /** Between a first and a second open. */
  between?: (root: string) => void;
  flag: boolean;
  meta: string;
  doctor: { status: string; detail: RegExp; fix?: string };
}

const onExt = () => tempDir("topdir").path;
const onShm = () => mkdtempSync("/dev/shm/kiln-test-topdir-");

const rows: Row[] = [
  { name: "a new store", skip: !ext, base: onExt, flag: true, meta: "set", doctor: { status: "ok", detail: /is marked chattr \+T/ } },
  {
    name: "a store made before kiln marked tmp/ (no record, tmp/ unmarked)",
    skip: !ext,
    base: onExt,
    before: (root) => mkdirSync(join(root, "tmp"), { recursive: true }),
    flag: true,
    meta: "set",
    doctor: { status: "ok", detail: /is marked chattr \+T/ },
  },
  {
    name: "once: a flag cleared by hand after the record stays cleared, and doctor says how to set it",
    skip: !ext,
    base: onExt,
    between: (root) => expect(Bun.spawnSync(["chattr", "-T", join(root, "tmp")]).exitCode).toBe(0),
    flag: false,
    meta: "set",
    doctor: { status: "warn", detail: /is not marked chattr \+T/, fix: "chattr +T " },
  },
  { name: "tmpfs: no such flag, skipped quietly, recorded", skip: !shm, base: onShm, flag: false, meta: "unsupported", doctor: { status: "info", detail: /has no chattr \+T flag/ } },
];

describe("store tmp/ chattr +T", () => {
  for (const row of rows) {
    test.skipIf(skipReason(row.skip, noTools ? "chattr/lsattr are not installed" : "no file system here with (or without) the flag"))(row.name, async () => {
      const base = row.base();
      try {
        const root = join(base, "store");
        row.before?.(root);
        (await Store.open({ root })).close();
        row.between?.(root);
        (await Store.open({ root })).close();
        expect(lsattr(join(root, "tmp")).includes("T")).toBe(row.flag);
        expect(recorded(root)).toBe(row.meta);
        const check = checkTmpTopDir(root);
        expect(check).toMatchObject({ status: row.doctor.status, detail: expect.stringMatching(row.doctor.detail) });
        if (row.doctor.fix) expect(check.fix).toBe(`${row.doctor.fix}${join(root, "tmp")}`);
      } finally {
        rmSync(base, { recursive: true, force: true });
      }
    });
  }

  test("doctor before the store has a tmp/ says when it will be marked", () => {
    using d = tempDir("topdir-none");
    expect(checkTmpTopDir(d.join("store"))).toMatchObject({ status: "info", detail: expect.stringContaining("does not exist yet") });
  });
});
