import { describe, expect, test } from "bun:test";
import { parseGoDuration, parseRamInBytes } from "../../../src/dockerfile/_units.ts";

describe("parseGoDuration (Go's time.ParseDuration, nanoseconds)", () => {
  const ok: [string, number][] = [
    ["0", 0],
    ["5s", 5e9],
    ["1m30s", 90e9],
    ["1.5h", 5400e9],
    ["300ms", 300e6],
    ["10us", 10e3],
    ["10µs", 10e3],
    ["-2s", -2e9],
    ["+1ns", 1],
  ];
  for (const [s, ns] of ok) test(s, () => expect(parseGoDuration(s)).toBe(ns));
  const bad: [string, string][] = [
    ["", 'time: invalid duration ""'],
    ["5", 'time: missing unit in duration "5"'],
    ["5d", 'time: unknown unit "d" in duration "5d"'],
    ["s", 'time: invalid duration "s"'],
  ];
  for (const [s, msg] of bad) test(`rejects ${JSON.stringify(s)}`, () => expect(() => parseGoDuration(s)).toThrow(msg));
});

describe("parseRamInBytes (docker/go-units, binary multiples)", () => {
  const ok: [string, number][] = [
    ["1024", 1024],
    ["64m", 64 * 1024 ** 2],
    ["1g", 1024 ** 3],
    ["1.5GiB", 1.5 * 1024 ** 3],
    ["2 kb", 2048],
  ];
  for (const [s, n] of ok) test(s, () => expect(parseRamInBytes(s)).toBe(n));
  for (const s of ["", "m", "1x", "-1"]) test(`rejects ${JSON.stringify(s)}`, () => expect(() => parseRamInBytes(s)).toThrow("invalid size"));
});
