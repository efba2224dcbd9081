import { describe, expect, test } from "bun:test";
import { KilnError, SandboxError, UsageError } from "../../../src/errors.ts";
import { applyUlimits, parseShmSize, parseUlimit, parseUlimits, shmSizeOption, type Ulimit } from "../../../src/sandbox/limits.ts";
import { FakeSys } from "./fake-sys.ts";

const MiB = 1024 * 1024;

describe("parseShmSize (Docker's RAMInBytes)", () => {
  const ok: [string, string, number][] = [
    ["a bare number is bytes", "1048576", MiB],
    ["k", "64k", 64 * 1024],
    ["m", "64m", 64 * MiB],
    ["upper-case unit", "128M", 128 * MiB],
    ["g", "1g", 1024 * MiB],
    ["b suffix on a bare number", "512b", 512],
    ["mb / MiB spellings", "2mb", 2 * MiB],
    ["MiB", "2MiB", 2 * MiB],
    ["a fraction", "1.5g", 1536 * MiB],
    ["a space before the unit", "8 m", 8 * MiB],
  ];
  for (const [name, value, bytes] of ok) test(`${name}: ${value}`, () => expect(parseShmSize(value)).toBe(bytes));

  const bad: [string, string, string][] = [
    ["zero", "0", "must be greater than 0"],
    ["zero with a unit", "0m", "must be greater than 0"],
    ["not a number", "abc", "expected a size such as 64m"],
    ["an unknown unit", "64x", "expected a size such as 64m"],
    ["negative", "-1m", "expected a size such as 64m"],
    ["empty", "", "expected a size such as 64m"],
  ];
  for (const [name, value, message] of bad) {
    test(`${name} is a usage error: ${JSON.stringify(value)}`, () => {
      expect(() => parseShmSize(value)).toThrow(UsageError);
      expect(() => parseShmSize(value)).toThrow(message);
    });
  }

  test("the tmpfs option: in k when it divides, else bytes; 64 MiB by default", () => {
    expect([shmSizeOption(), shmSizeOption(128 * MiB), shmSizeOption(1000)]).toEqual(["size=65536k", "size=131072k", "size=1000"]);
  });
});

describe("parseUlimit (Docker's ParseUlimit)", () => {
  const ok: [string, string, Ulimit][] = [
    ["soft and hard", "nofile=1024:2048", { name: "nofile", soft: 1024, hard: 2048 }],
    ["hard defaults to soft", "nproc=512", { name: "nproc", soft: 512, hard: 512 }],
    ["-1 is unlimited", "core=-1", { name: "core", soft: -1, hard: -1 }],
    ["unlimited by name", "memlock=unlimited:unlimited", { name: "memlock", soft: -1, hard: -1 }],
    ["a finite soft limit under an unlimited hard one", "stack=8388608:-1", { name: "stack", soft: 8388608, hard: -1 }],
    ["zero", "core=0", { name: "core", soft: 0, hard: 0 }],
    ["soft equal to hard", "rtprio=5:5", { name: "rtprio", soft: 5, hard: 5 }],
  ];
  for (const [name, flag, want] of ok) test(`${name}: ${flag}`, () => expect(parseUlimit(flag)).toEqual(want));

  const bad: [string, string, string][] = [
    ["no =", "nofile", "expected NAME=SOFT[:HARD]"],
    ["no name", "=10", "expected NAME=SOFT[:HARD]"],
    ["unknown name, the valid ones listed", "files=10", 'unknown limit "files" (valid: core, cpu, data, fsize, locks, memlock, msgqueue, nice, nofile, nproc, rss, rtprio, rttime, sigpending, stack)'],
    ["as is not one of Docker's", "as=10", 'unknown limit "as"'],
    ["soft above hard", "nofile=2048:1024", "the soft limit 2048 is greater than the hard limit 1024"],
    ["unlimited soft under a finite hard", "nofile=-1:1024", "the soft limit unlimited is greater than the hard limit 1024"],
    ["three values", "nofile=1:2:3", "too many values"],
    ["not a number", "nofile=many", '"many" is not a limit'],
    ["negative other than -1", "nofile=-2", '"-2" is not a limit'],
    ["empty value", "nofile=", '"" is not a limit'],
    ["empty hard", "nofile=10:", '"" is not a limit'],
  ];
  for (const [name, flag, message] of bad) {
    test(`${name} is a usage error: ${flag}`, () => {
      expect(() => parseUlimit(flag)).toThrow(UsageError);
      expect(() => parseUlimit(flag)).toThrow(message);
    });
  }

  test("a name given twice keeps its last value, in first-seen order", () => {
    expect(parseUlimits(["nofile=1", "core=0", "nofile=2:3"])).toEqual([
      { name: "nofile", soft: 2, hard: 3 },
      { name: "core", soft: 0, hard: 0 },
    ]);
  });
});

describe("applyUlimits (fake Sys)", () => {
  // [name, limits, host state before, check of the calls and of what was thrown]
  const rows: [string, Ulimit[], (sys: FakeSys) => void, (sys: FakeSys, err: unknown) => void][] = [
    ["each limit by its RLIMIT number", [{ name: "nofile", soft: 100, hard: 200 }, { name: "cpu", soft: -1, hard: -1 }], () => {}, (sys, err) => {
      expect(err).toBeUndefined();
      expect(sys.calls).toEqual(["setrlimit 7 100:200", "setrlimit 0 -1:-1"]);
    }],
    ["EPERM names the limit and the current maximum", [{ name: "nproc", soft: 10, hard: 9000 }], (sys) => {
      sys.failures.set("setrlimit", "EPERM");
      sys.rlimits.set(6, [100, 4096]);
    }, (_sys, err) => {
      expect(err).toBeInstanceOf(SandboxError);
      expect((err as KilnError).message).toBe("cannot set ulimit nproc=10:9000: the hard limit may not be raised above the current maximum of 4096");
      expect((err as KilnError).hint).toContain("ask for at most 4096");
    }],
    ["nofile's maximum is also the kernel's fs.nr_open", [{ name: "nofile", soft: -1, hard: -1 }], (sys) => {
      sys.failures.set("setrlimit", "EPERM");
      sys.rlimits.set(7, [1024, -1]);
      sys.files.set("/proc/sys/fs/nr_open", "1048576\n");
    }, (_sys, err) => expect((err as KilnError).message).toEndWith("the current maximum of 1048576")],
    ["another errno passes through", [{ name: "nice", soft: 1, hard: 1 }], (sys) => sys.failures.set("setrlimit", "EINVAL"), (_sys, err) => {
      expect(err).not.toBeInstanceOf(KilnError);
      expect(String(err)).toContain("EINVAL");
    }],
  ];
  for (const [name, ulimits, setup, check] of rows) {
    test(name, () => {
      const sys = new FakeSys();
      let caught: unknown;
      setup(sys);
      try {
        applyUlimits(sys, ulimits);
      } catch (err) {
        caught = err;
      }
      check(sys, caught);
    });
  }
});
