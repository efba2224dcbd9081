// A container's log (<container dir>/container.log): everything it wrote on
// stdout and stderr, in order, each chunk tagged with its stream so that
// `kiln logs` can give stderr back on stderr, as `docker logs` does. The
// format is Docker's attach/logs framing (stdcopy): an 8-byte header
// [stream (1 stdout, 2 stderr), 0, 0, 0, length as u32 big-endian] and the
// bytes; the file starts with LOG_MAGIC. A log without it was written by an
// older kiln straight from the container's fds: raw bytes, all shown on stdout.
import { closeSync, fstatSync, openSync, read, readSync } from "node:fs";
import { writeAll } from "../util/write-all.ts";

export type LogStream = 1 | 2;

const LOG_MAGIC = Buffer.from("KILNLOG1");
const HEADER = 8;
const CHUNK = 65536;

// Re-exported for sandbox/index.ts and container.ts: the loop itself lives in util/.
export { writeAll };

/** Appends frames to a container's log; one write per frame, so a reader never sees half a header for long. */
export class LogWriter {
  private closed = false;
  private constructor(private readonly fd: number) {}

  static open(path: string): LogWriter {
    const fd = openSync(path, "a", 0o600);
    if (fstatSync(fd).size === 0) writeAll(fd, LOG_MAGIC);
    return new LogWriter(fd);
  }

  /** After close (a relay outliving a failed run) output is dropped: the fd number may be another file's by then. */
  write(stream: LogStream, data: Uint8Array): void {
    if (this.closed) return;
    const frame = Buffer.allocUnsafe(HEADER + data.length);
    frame.writeUInt32BE(stream << 24, 0);
    frame.writeUInt32BE(data.length, 4);
    frame.set(data, HEADER);
    writeAll(this.fd, frame);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

/** Where a reader of a log is: the offset of the next unread frame, and the format once known. */
export interface LogCursor {
  offset: number;
  raw?: boolean;
}

function readAt(fd: number, length: number, position: number): Buffer {
  const buf = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

/**
 * Hand every complete frame from `cursor` on to `out` and advance the cursor;
 * a frame still being written is left for the next call (`kiln logs -f`).
 */
export function readLog(fd: number, cursor: LogCursor, out: (stream: LogStream, data: Uint8Array) => void): void {
  if (cursor.raw === undefined) {
    const head = readAt(fd, LOG_MAGIC.length, 0);
    if (head.length < LOG_MAGIC.length && LOG_MAGIC.subarray(0, head.length).equals(head)) return; // not written yet
    cursor.raw = !head.equals(LOG_MAGIC);
    cursor.offset = cursor.raw ? 0 : LOG_MAGIC.length;
  }
  for (;;) {
    if (cursor.raw) {
      const data = readAt(fd, CHUNK, cursor.offset);
      if (data.length === 0) return;
      out(1, data);
      cursor.offset += data.length;
      continue;
    }
    const header = readAt(fd, HEADER, cursor.offset);
    if (header.length < HEADER) return;
    const length = header.readUInt32BE(4);
    const data = readAt(fd, length, cursor.offset + HEADER);
    if (data.length < length) return;
    out(header[0] === 2 ? 2 : 1, data);
    cursor.offset += HEADER + length;
  }
}

/**
 * Copy one of the container's output pipes until it closes: into the log,
 * and to kiln's own fd `stream` when `echo`. When kiln's own reader is gone
 * (`kiln run … | head -1`) the pipe is closed, so that the container's next
 * write fails (SIGPIPE) as it did when it wrote to that fd itself.
 */
export async function relayOutput(pipe: number, stream: LogStream, log: LogWriter, echo: boolean): Promise<void> {
  const buf = Buffer.alloc(CHUNK);
  try {
    for (;;) {
      // Plain read(2) in the thread pool: the pipe is blocking, as the container's end must be.
      const n = await new Promise<number>((resolve, reject) => read(pipe, buf, 0, buf.length, null, (err, n) => (err ? reject(err) : resolve(n))));
      if (n === 0) return;
      const chunk = buf.subarray(0, n);
      const echoed = !echo || writeAll(stream, chunk);
      log.write(stream, chunk);
      if (!echoed) return;
    }
  } finally {
    closeSync(pipe);
  }
}
