// The container log format: frames written by LogWriter come back from
// readLog with their stream, a frame still being written waits for the next
// read (kiln logs -f), and a log of an older kiln (raw bytes) is shown whole.
import { describe, expect, test } from "bun:test";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { LogWriter, readLog, type LogCursor, type LogStream } from "../../../src/sandbox/container-log.ts";
import { tempDir } from "../../harness.ts";

type Out = [LogStream, string][];

function readAll(path: string, cursor: LogCursor = { offset: 0 }): Out {
  const out: Out = [];
  const fd = openSync(path, "r");
  try {
    readLog(fd, cursor, (stream, data) => out.push([stream, Buffer.from(data).toString()]));
  } finally {
    closeSync(fd);
  }
  return out;
}

function written(path: string, frames: Out): void {
  const log = LogWriter.open(path);
  for (const [stream, text] of frames) log.write(stream, Buffer.from(text));
  log.close();
}

describe("container log", () => {
  const rows: [string, Out][] = [
    ["stdout and stderr, in order", [[1, "out\n"], [2, "err\n"], [1, "more"]]],
    ["an empty chunk", [[1, ""], [2, "x"]]],
    ["a chunk larger than a read", [[1, "a".repeat(200_000)]]],
    ["no output at all", []],
  ];
  for (const [name, frames] of rows) {
    test(`frames: ${name}`, () => {
      using t = tempDir("log");
      written(t.join("log"), frames);
      expect(readAll(t.join("log"))).toEqual(frames);
    });
  }

  test("a frame cut short is left for the next read, which goes on from there", () => {
    using t = tempDir("log");
    const path = t.join("log");
    written(path, [[1, "first\n"], [2, "second\n"]]);
    const whole = readFileSync(path);
    const cursor: LogCursor = { offset: 0 };
    for (const [cut, want] of [
      [whole.length - 3, [[1, "first\n"]]],
      [whole.length, [[2, "second\n"]]],
    ] as [number, Out][]) {
      writeFileSync(path, whole.subarray(0, cut));
      expect(readAll(path, cursor)).toEqual(want);
    }
  });

  test("appending after a reopen keeps one magic and all frames", () => {
    using t = tempDir("log");
    written(t.join("log"), [[1, "a"]]);
    written(t.join("log"), [[2, "b"]]);
    expect(readAll(t.join("log"))).toEqual([[1, "a"], [2, "b"]]);
  });

  const raw: [string, string, Out][] = [
    ["an older kiln's raw log is shown on stdout", "plain output\n", [[1, "plain output\n"]]],
    ["a file that is only part of the magic is not read yet", "KILN", []],
    ["an empty file", "", []],
  ];
  for (const [name, content, want] of raw) {
    test(name, () => {
      using t = tempDir("log");
      writeFileSync(t.join("log"), content);
      expect(readAll(t.join("log"))).toEqual(want);
    });
  }

  test("writes after close are dropped", () => {
    using t = tempDir("log");
    const log = LogWriter.open(t.join("log"));
    log.write(1, Buffer.from("kept"));
    log.close();
    log.write(1, Buffer.from("dropped"));
    log.close();
    expect(readAll(t.join("log"))).toEqual([[1, "kept"]]);
  });
});
