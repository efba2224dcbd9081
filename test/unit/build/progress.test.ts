import { describe, expect, test } from "bun:test";
import type { BuildEvent } from "../../../src/build/events.ts";
import { ClassicProgress, formatEvent } from "../../../src/build/progress.ts";

const ID = "sha256:9c8b7a6d5e4f00000000000000000000000000000000000000000000000000aa";

describe("Docker's classic output lines", () => {
  const rows: [string, BuildEvent, string][] = [
    ["step", { type: "step", stage: 0, n: 2, total: 3, text: "RUN echo hi" }, "Step 2/3 : RUN echo hi\n"],
    ["cache hit", { type: "cache-hit", stage: 0 }, " ---> Using cache\n"],
    ["container", { type: "container", stage: 0, id: "1a2b3c4d5e6f7a8b" }, " ---> Running in 1a2b3c4d5e6f\n"],
    ["container removed", { type: "container-removed", stage: 0, id: "1a2b3c4d5e6f7a8b" }, "Removing intermediate container 1a2b3c4d5e6f\n"],
    ["image", { type: "image", stage: 0, id: ID }, " ---> 9c8b7a6d5e4f\n"],
    ["FROM scratch has no id", { type: "image", stage: 0, id: "" }, " ---> \n"],
    ["raw output", { type: "output", stage: 0, fd: 1, text: "a\na\na\n" }, "a\na\na\n"],
    ["warning", { type: "warning", text: "One or more build-args [X] were not consumed" }, "[Warning] One or more build-args [X] were not consumed\n"],
    ["built", { type: "built", id: ID }, "Successfully built 9c8b7a6d5e4f\n"],
    ["tagged", { type: "tagged", name: "app:1" }, "Successfully tagged app:1\n"],
    ["debug prints nothing here", { type: "debug", stage: 0, text: "x" }, ""],
  ];
  for (const [name, e, want] of rows) test(name, () => expect(formatEvent(e)).toBe(want));
  test("tty timing goes on the image line", () => {
    expect(formatEvent({ type: "image", stage: 0, id: ID, ms: 1234 }, true)).toBe(" ---> 9c8b7a6d5e4f (1.2s)\n");
  });
});

describe("parallel stages print one after the other", () => {
  test("a later stage's lines wait until the earlier stage is done", () => {
    let out = "";
    const p = new ClassicProgress({ write: (s) => void (out += s) });
    p.setStages([0, 1]);
    p.emit({ type: "step", stage: 1, n: 3, total: 4, text: "FROM b" });
    expect(p.isLive(1)).toBe(false);
    p.emit({ type: "step", stage: 0, n: 1, total: 4, text: "FROM a" });
    expect(out).toBe("Step 1/4 : FROM a\n");
    p.emit({ type: "step", stage: 1, n: 4, total: 4, text: "RUN b" });
    p.emit({ type: "step", stage: 0, n: 2, total: 4, text: "RUN a" });
    p.stageDone(0);
    expect(p.isLive(1)).toBe(true);
    expect(out).toBe("Step 1/4 : FROM a\nStep 2/4 : RUN a\nStep 3/4 : FROM b\nStep 4/4 : RUN b\n");
  });
  test("a later stage that finished first is printed in full, in order", () => {
    let out = "";
    const p = new ClassicProgress({ write: (s) => void (out += s) });
    p.setStages([0, 1, 2]);
    p.emit({ type: "note", stage: 1, text: "one" });
    p.stageDone(1);
    p.emit({ type: "note", stage: 2, text: "two" });
    p.emit({ type: "note", stage: 0, text: "zero" });
    p.stageDone(0);
    expect(out).toBe("zero\none\ntwo\n");
    expect(p.isLive(2)).toBe(true);
  });
  test("flush prints what is still held (after a failure)", () => {
    let out = "";
    const p = new ClassicProgress({ write: (s) => void (out += s) });
    p.setStages([0, 1]);
    p.emit({ type: "note", stage: 1, text: "held" });
    p.flush();
    expect(out).toBe("held\n");
  });
});

describe("after a stage fails, the text ends with its failure", () => {
  type Act = ["emit", number, string] | ["done", number, boolean] | ["flush"];
  const rows: { name: string; order: number[]; acts: Act[]; want: string }[] = [
    {
      name: "a stage built on the failed one (its FROM line held) is never printed",
      order: [0, 1],
      acts: [["emit", 1, "Step 3/4 : FROM lower AS upper"], ["emit", 0, "Step 2/4 : RUN false"], ["done", 0, true], ["done", 1, true], ["flush"]],
      want: "Step 2/4 : RUN false\n",
    },
    {
      name: "an independent later stage that finished meanwhile is dropped",
      order: [0, 1],
      acts: [["emit", 1, "b ran"], ["done", 1, false], ["emit", 0, "a fails"], ["done", 0, true], ["flush"]],
      want: "a fails\n",
    },
    {
      name: "a later stage fails first: the live stage's lines, then that failure, nothing after it",
      order: [0, 1, 2],
      acts: [["emit", 0, "zero"], ["emit", 1, "one fails"], ["done", 1, true], ["emit", 2, "two"], ["emit", 0, "zero stopped"], ["done", 0, true], ["done", 2, true], ["flush"]],
      want: "zero\nzero stopped\none fails\n",
    },
    {
      name: "the failed stage stays live: later stages never take the terminal",
      order: [0, 1],
      acts: [["emit", 0, "a fails"], ["done", 0, true], ["emit", 1, "b"]],
      want: "a fails\n",
    },
  ];
  for (const r of rows) {
    test(r.name, () => {
      let out = "";
      const p = new ClassicProgress({ write: (s) => void (out += s) });
      p.setStages(r.order);
      for (const a of r.acts) {
        if (a[0] === "emit") p.emit({ type: "note", stage: a[1], text: a[2] });
        else if (a[0] === "done") p.stageDone(a[1], a[2]);
        else p.flush();
      }
      expect(out).toBe(r.want);
      if (r.order.length === 2 && r.acts.some((a) => a[0] === "done" && a[1] === 0 && a[2])) expect(p.isLive(1)).toBe(false);
    });
  }
});

describe("batch: a cached step's lines in one write", () => {
  const step = (n: number): BuildEvent[] => [
    { type: "step", stage: 0, n, total: 9, text: `RUN ${n}` },
    { type: "cache-hit", stage: 0 },
    { type: "image", stage: 0, id: ID },
  ];
  const rows: { name: string; events: BuildEvent[]; syncWrites: string[]; afterTurn: string[] }[] = [
    { name: "two cached steps are one write, once the event loop turns", events: [...step(1), ...step(2)], syncWrites: [], afterTurn: ["Step 1/9 : RUN 1\n ---> Using cache\n ---> 9c8b7a6d5e4f\nStep 2/9 : RUN 2\n ---> Using cache\n ---> 9c8b7a6d5e4f\n"] },
    {
      name: "a container's line writes what is pending first, at once (its output goes straight to fd 1)",
      events: [...step(1), { type: "step", stage: 0, n: 2, total: 9, text: "RUN x" }, { type: "container", stage: 0, id: "1a2b3c4d5e6f7a8b" }],
      syncWrites: ["Step 1/9 : RUN 1\n ---> Using cache\n ---> 9c8b7a6d5e4f\nStep 2/9 : RUN x\n ---> Running in 1a2b3c4d5e6f\n"],
      afterTurn: [],
    },
    { name: "the end of the build writes everything", events: [...step(1), { type: "built", id: ID }], syncWrites: ["Step 1/9 : RUN 1\n ---> Using cache\n ---> 9c8b7a6d5e4f\nSuccessfully built 9c8b7a6d5e4f\n"], afterTurn: [] },
  ];
  for (const r of rows) {
    test(r.name, async () => {
      const writes: string[] = [];
      const p = new ClassicProgress({ write: (s) => void writes.push(s), batch: true });
      p.setStages([0]);
      for (const e of r.events) p.emit(e);
      expect(writes).toEqual(r.syncWrites);
      await new Promise((done) => setImmediate(done));
      expect(writes).toEqual([...r.syncWrites, ...r.afterTurn]);
    });
  }
  test("flush (a failure) writes what is pending", () => {
    const writes: string[] = [];
    const p = new ClassicProgress({ write: (s) => void writes.push(s), batch: true });
    p.setStages([0]);
    for (const e of step(1)) p.emit(e);
    p.flush();
    expect(writes).toEqual(["Step 1/9 : RUN 1\n ---> Using cache\n ---> 9c8b7a6d5e4f\n"]);
  });
});
