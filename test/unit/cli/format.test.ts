import { describe, expect, test } from "bun:test";
import { createdSince, formatList, goTime, humanDuration, humanSize, tabwrite } from "../../../src/cli/commands/_format.ts";

describe("go-units sizes", () => {
  const rows: [number, number, string][] = [
    [0, 3, "0B"],
    [999, 3, "999B"],
    [1000, 3, "1kB"],
    [7_797_760, 3, "7.8MB"],
    [8_089_600, 3, "8.09MB"],
    [3_618_816, 4, "3.619MB"],
    [1_234_567_890, 3, "1.23GB"],
  ];
  for (const [bytes, precision, want] of rows) test(`${bytes} → ${want}`, () => expect(humanSize(bytes, precision)).toBe(want));
});

describe("go-units durations", () => {
  const S = 1000;
  const H = 3600 * S;
  const rows: [number, string][] = [
    [500, "Less than a second"],
    [1 * S, "1 second"],
    [45 * S, "45 seconds"],
    [60 * S, "About a minute"],
    [59 * 60 * S, "59 minutes"],
    [H, "About an hour"],
    [5 * H, "5 hours"],
    [47 * H, "47 hours"],
    [3 * 24 * H, "3 days"],
    [20 * 24 * H, "2 weeks"],
    [90 * 24 * H, "3 months"],
    [3 * 365 * 24 * H, "3 years"],
  ];
  for (const [ms, want] of rows) test(want, () => expect(humanDuration(ms)).toBe(want));

  test("createdSince", () => {
    expect(createdSince("2024-01-01T00:00:00Z", Date.parse("2024-01-01T00:00:30Z"))).toBe("30 seconds ago");
    expect(createdSince(undefined)).toBe("N/A");
  });

  test("goTime prints Go's time.String", () => {
    expect(goTime("2024-09-06T22:20:07.972381771Z")).toBe("2024-09-06 22:20:07 +0000 UTC");
  });
});

describe("tables", () => {
  test("tabwrite pads every column but the last to max(10, widest + 3)", () => {
    expect(tabwrite("A\tBB\tC\nlonger-cell-here\tx\ty")).toBe("A                  BB        C\nlonger-cell-here   x         y");
  });

  const rows = [{ Repository: "alpine", Tag: "3.20", ID: "abc" }];
  const base = { table: "{{.Repository}}\t{{.Tag}}\t{{.ID}}", headers: { ID: "IMAGE ID" }, rows };
  const cases: [string, string, string][] = [
    ["the default table", "", "REPOSITORY   TAG       IMAGE ID\nalpine       3.20      abc\n"],
    ["'table' alone is the default table", "table", "REPOSITORY   TAG       IMAGE ID\nalpine       3.20      abc\n"],
    ["a custom table with a literal \\t", "table {{.ID}}\\t{{.Tag}}", "IMAGE ID   TAG\nabc        3.20\n"],
    ["a plain template: no header", "{{.Repository}}:{{.Tag}}", "alpine:3.20\n"],
    ["json lines", "json", '{"Repository":"alpine","Tag":"3.20","ID":"abc"}\n'],
  ];
  for (const [name, format, want] of cases) test(name, () => expect(formatList({ ...base, format })).toBe(want));
});
