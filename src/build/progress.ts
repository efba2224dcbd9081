/**
 * Docker's classic builder output, from build events:
 *
 *   Step 2/3 : RUN echo hi
 *    ---> Running in 1a2b3c4d5e6f
 *   hi
 *   Removing intermediate container 1a2b3c4d5e6f
 *    ---> 9c8b7a6d5e4f
 *
 * Stages that run in parallel never interleave: the printer shows one stage
 * live (the earliest unfinished one, whose RUN steps may write straight to
 * fd 1) and holds the others' lines until their turn, so the text reads as
 * if the stages had run one after the other. After a stage fails, the text
 * ends with that failure, as Docker's does: the stages after it in build
 * order (those that depend on it, and independent ones that kept running)
 * are never printed.
 */
import { shortId } from "../image/index.ts";
import { isStageEvent, type BuildEvent } from "./events.ts";

export interface ProgressOptions {
  write(text: string): void;
  /** Append each step's duration to its ` ---> <id>` line (terminal view). */
  timing?: boolean;
  /** Write a cached step's lines together (see BATCHED); off when debug lines go to stderr between them. */
  batch?: boolean;
}

/** The text of one event ("" for events that print nothing). */
export function formatEvent(e: BuildEvent, timing = false): string {
  switch (e.type) {
    case "step":
      return `Step ${e.n}/${e.total} : ${e.text}\n`;
    case "cache-hit":
      return " ---> Using cache\n";
    case "container":
      return ` ---> Running in ${shortId(e.id)}\n`;
    case "container-removed":
      return `Removing intermediate container ${shortId(e.id)}\n`;
    case "image":
      return ` ---> ${shortId(e.id)}${timing && e.ms !== undefined ? ` (${(e.ms / 1000).toFixed(1)}s)` : ""}\n`;
    case "output":
      return e.text;
    case "note":
      return `${e.text}\n`;
    case "warning":
      return `[Warning] ${e.text}\n`;
    case "built":
      return `Successfully built ${shortId(e.id)}\n`;
    case "tagged":
      return `Successfully tagged ${e.name}\n`;
    case "debug":
      return "";
  }
}

/**
 * With `batch`, the lines of a step that needs nothing but a cache lookup
 * are written together, at the next other line or once the event loop turns,
 * instead of one write(2) each: to a pipe every write wakes the reader, and a
 * fully cached 21-step build made 63 (~1 ms of its ~14). Anything a
 * command's own output could follow ("Running in …", output, removal, the
 * end, a failure's flush) writes them first, synchronously.
 */
const BATCHED = new Set<BuildEvent["type"]>(["step", "cache-hit", "image"]);

export class ClassicProgress {
  private readonly held = new Map<number, string[]>();
  private readonly done = new Set<number>();
  private live = 0;
  /** The stage that failed first (the build's error is its error): nothing after it in the order is printed. */
  private failed: number | undefined;
  private pending = "";
  private flushQueued = false;

  constructor(private readonly opts: ProgressOptions) {}

  /** Write `text` of the live stage, after what is pending; `later` may keep it pending until the loop turns. */
  private out(text: string, later: boolean): void {
    if (later && this.opts.batch) {
      this.pending += text;
      if (!this.flushQueued) {
        this.flushQueued = true;
        setImmediate(() => {
          this.flushQueued = false;
          this.out("", false);
        });
      }
      return;
    }
    const all = this.pending + text;
    this.pending = "";
    if (all !== "") this.opts.write(all);
  }

  /** Stage indexes in build order; the first is live. */
  setStages(order: readonly number[]): void {
    this.order = [...order];
    this.live = order[0] ?? 0;
  }
  private order: number[] = [];

  /**
   * May this stage's RUN output go straight to fd 1 right now? Asked just
   * before a container starts: what is pending is written first, so a
   * closed stdout shows before fd 1 is handed over.
   */
  isLive(stage: number): boolean {
    if (stage !== this.live) return false;
    this.out("", false);
    return true;
  }

  emit(e: BuildEvent): void {
    const text = formatEvent(e, this.opts.timing);
    if (text === "") return;
    if (!isStageEvent(e) || e.stage === this.live) return this.out(text, BATCHED.has(e.type));
    const q = this.held.get(e.stage) ?? [];
    q.push(text);
    this.held.set(e.stage, q);
  }

  /**
   * A stage finished (or failed): hand the terminal to the next unfinished
   * stage, replaying what it printed meanwhile — but never past the stage
   * that failed first.
   */
  stageDone(stage: number, failed = false): void {
    this.done.add(stage);
    if (failed) this.failed ??= stage;
    // Walk the order from the live stage: replay each finished stage's held lines, stop at the first unfinished.
    let i = this.order.indexOf(this.live);
    while (this.done.has(this.live) && this.live !== this.failed && i + 1 < this.order.length) {
      this.live = this.order[++i]!;
      const q = this.held.get(this.live);
      if (q) this.out(q.join(""), false);
      this.held.delete(this.live);
    }
  }

  /**
   * At the end of a failed build: print what is still held of the stages up
   * to the one that failed first (all of them when no stage failed: the
   * error came from elsewhere); the rest is dropped.
   */
  flush(): void {
    this.out("", false);
    const last = this.failed === undefined ? this.order.length - 1 : this.order.indexOf(this.failed);
    for (const s of this.order.slice(0, last + 1)) {
      const q = this.held.get(s);
      if (q) this.opts.write(q.join(""));
    }
    this.held.clear();
  }
}
