import { describe, expect, test } from "bun:test";
import { closeSync, constants, openSync, readFileSync } from "node:fs";
import { writeAll } from "../../../src/util/write-all.ts";
import { tempDir } from "../../harness.ts";

describe("writeAll", () => {
  const big = new Uint8Array(3 << 20).map((_, i) => i % 251);
  const rows: { name: string; bytes: Uint8Array }[] = [
    { name: "nothing", bytes: new Uint8Array(0) },
    { name: "a few bytes", bytes: Buffer.from("hello\n") },
    { name: "3 MiB, more than one write may take", bytes: big },
  ];
  for (const r of rows) {
    test(`a file gets all of ${r.name}`, () => {
      using d = tempDir("write-all");
      const fd = openSync(d.join("f"), "w");
      try {
        expect(writeAll(fd, r.bytes)).toBe(true);
      } finally {
        closeSync(fd);
      }
      expect(Buffer.compare(readFileSync(d.join("f")), Buffer.from(r.bytes))).toBe(0);
    });
  }

  test("a pipe whose reader is gone: false (EPIPE), not an error", () => {
    using d = tempDir("write-all");
    const fifo = d.join("p");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
    const writer = openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    closeSync(reader);
    try {
      expect(writeAll(writer, Buffer.from("lost"))).toBe(false);
    } finally {
      closeSync(writer);
    }
  });
});
