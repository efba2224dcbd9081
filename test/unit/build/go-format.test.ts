import { describe, expect, test } from "bun:test";
import { goDuration, goQuote, goQuoteRune, goQuoteSlice, goSlice, parseGoDuration } from "../../../src/build/go-format.ts";

describe("Go's %q and %v as Docker's history strings use them", () => {
  const quote: [string, string, string][] = [
    ["plain word", "redis-server", '"redis-server"'],
    ["quote and backslash escaped", 'say "hi" \\o/', '"say \\"hi\\" \\\\o/"'],
    ["newline and tab named", "a\nb\tc", '"a\\nb\\tc"'],
    ["other control as \\x", "\x01", '"\\x01"'],
    ["DEL as \\x7f", "\x7f", '"\\x7f"'],
    ["printable unicode kept", "héllo €", '"héllo €"'],
  ];
  for (const [name, input, want] of quote) test(`goQuote: ${name}`, () => expect(goQuote(input)).toBe(want));

  const slices: [string, string[] | null, string, string][] = [
    ["CMD exec form", ["redis-server"], '["redis-server"]', "[redis-server]"],
    ["shell form words", ["/bin/sh", "-c", "echo hi"], '["/bin/sh" "-c" "echo hi"]', "[/bin/sh -c echo hi]"],
    ["nil slice", null, "[]", "[]"],
  ];
  for (const [name, xs, q, v] of slices) {
    test(`slice: ${name}`, () => {
      expect(goQuoteSlice(xs)).toBe(q);
      expect(goSlice(xs)).toBe(v);
    });
  }

  const runes: [number, string][] = [[0, "'\\x00'"], [3, "'\\x03'"], [9, "'\\t'"], [65, "'A'"], [39, "'\\''"]];
  for (const [n, want] of runes) test(`goQuoteRune(${n})`, () => expect(goQuoteRune(n)).toBe(want));

  const durations: [number, string][] = [
    [0, "0s"], [3e9, "3s"], [300e9, "5m0s"], [3600e9, "1h0m0s"], [1.5e9, "1.5s"], [500e6, "500ms"], [2000, "2µs"], [90e9, "1m30s"],
  ];
  for (const [ns, want] of durations) {
    test(`goDuration(${ns}) = ${want}, and back`, () => {
      expect(goDuration(ns)).toBe(want);
      expect(parseGoDuration(want)).toBe(ns);
    });
  }
  test("parseGoDuration refuses a number without unit", () => expect(parseGoDuration("30")).toBeUndefined());
});
