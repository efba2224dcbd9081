import { describe, expect, test } from "bun:test";
import { lineFor, transferProgress } from "../../../src/cli/commands/_transfer-progress.ts";
import type { TransferEvent } from "../../../src/registry/index.ts";

const D = "sha256:a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4e5f6a1b2" as const;
const events: TransferEvent[] = [
  { kind: "waiting", id: "a1b2c3d4e5f6", digest: D, size: 3_400_000 },
  { kind: "progress", id: "a1b2c3d4e5f6", current: 1_700_000, total: 3_400_000, action: "Downloading" },
  { kind: "retry", id: "a1b2c3d4e5f6", attempt: 1, reason: "connection closed after 1700000 of 3400000 bytes" },
  { kind: "done", id: "a1b2c3d4e5f6", status: "Pull complete" },
];

describe("transferProgress", () => {
  test("not a terminal: one line per finished layer and per retry, nothing else", () => {
    let out = "";
    const p = transferProgress({ tty: false, write: (s) => (out += s) });
    for (const e of events) p(e);
    p.finish();
    expect(out).toBe("a1b2c3d4e5f6: Retrying (1): connection closed after 1700000 of 3400000 bytes\na1b2c3d4e5f6: Pull complete\n");
  });

  test("a terminal: lines redrawn in place, ending with the final state", () => {
    let out = "";
    const p = transferProgress({ tty: true, write: (s) => (out += s) });
    p(events[0]!);
    p({ kind: "waiting", id: "ffffffffffff", digest: D, size: 1 });
    p(events[3]!);
    p.finish();
    expect(out).toContain("\x1b[2A");
    expect(out.split("\x1b[2A").at(-1)).toBe("\x1b[2Ka1b2c3d4e5f6: Pull complete\n\x1b[2Kffffffffffff: Waiting\n");
  });
});

describe("lineFor", () => {
  const rows: [string, string][] = [
    [lineFor(events[1]!), `Downloading [${"=".repeat(24)}>${" ".repeat(25)}]  1.7MB/3.4MB`],
    [lineFor({ ...events[1]!, current: 1_097_000, total: 27_100_000 } as TransferEvent), `Downloading [=>${" ".repeat(48)}]  1.097MB/27.1MB`],
    [lineFor(events[3]!), "Pull complete"],
  ];
  for (const [got, want] of rows) test(want, () => expect(got).toBe(want));
});
