// RUN, WORKDIR, USER, ENV/ARG, VOLUME and whiteouts in real builds on kiln's
// alpine:3.20: what the layers hold (flattened image) and what the history says.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { skipReason } from "../harness.ts";
import { cannotBuild, cannotBuildReason, mismatches, openBuildStore, type BuildStore, type Expect } from "./build-lib.ts";

const skip = skipReason(cannotBuild, cannotBuildReason);

const rows: [string, string, Expect][] = [
  ["shell form through /bin/sh -c, output in the layer", 'RUN echo "$((6 * 7))" > /answer', { "/answer": { content: "42\n" } }],
  ["exec form as written", 'RUN ["/bin/sh", "-c", "echo exec > /exec"]', { "/exec": { content: "exec\n" } }],
  ["ENV and ARG reach the command", "ARG A=arg\nENV E=env\nRUN echo $A $E > /vars", { "/vars": { content: "arg env\n" } }],
  ["USER runs as that user", "USER nobody\nRUN id -u > /tmp/uid", { "/tmp/uid": { content: "65534\n", uid: 65534 } }],
  ["WORKDIR is the working directory and is created", "WORKDIR /a/b\nRUN pwd > here", { "/a/b": { type: "dir", mode: 0o755, uid: 0 }, "/a/b/here": { content: "/a/b\n" } }],
  ["SHELL changes the shell of RUN", 'SHELL ["/bin/sh", "-ec"]\nRUN echo "$-" > /flags', { "/flags": { type: "file" } }],
  [
    "whiteouts: deleted files and directories of lower layers, a replaced directory",
    "RUN mkdir -p /data/keep /data/gone /data/dir && echo 1 > /data/keep/f && echo 2 > /data/gone/f && echo 3 > /data/file && echo 4 > /data/dir/old\n" +
      "RUN rm -rf /data/gone /data/file /etc/motd && rm -rf /data/keep && mkdir /data/keep && echo new > /data/keep/g\n" +
      "RUN rm -rf /data/dir && echo now-a-file > /data/dir",
    {
      "/data/gone": null,
      "/data/gone/f": null,
      "/data/file": null,
      "/etc/motd": null,
      "/data/keep/f": null,
      "/data/keep/g": { content: "new\n" },
      "/data/dir": { type: "file", content: "now-a-file\n" },
      "/data/dir/old": null,
    },
  ],
  ["RUN changes under a VOLUME are dropped; the mount point exists", "VOLUME /vol\nRUN echo lost > /vol/f && echo kept > /kept", { "/vol": { type: "dir", mode: 0o755 }, "/vol/f": null, "/kept": { content: "kept\n" } }],
  ["no stubs of the sandbox's mounts in the layers", "RUN true", { "/etc/hosts": { type: "file" }, "/proc": { type: "dir" } }],
];

describe.skipIf(skip)("RUN and friends, real builds on alpine", () => {
  let store: BuildStore;
  beforeAll(async () => {
    store = await openBuildStore("run");
  }, 60_000);
  afterAll(() => store?.[Symbol.dispose]());

  for (const [i, [name, body, want]] of rows.entries()) {
    test(name, async () => {
      const r = await store.build(`FROM alpine:3.20\n${body}\n`, {}, ["-t", `run-${i}`]);
      if (r.exitCode !== 0) throw new Error(r.stdout + r.stderr);
      expect(mismatches(await store.files(`run-${i}`), want)).toEqual([]);
    }, 30_000);
  }

  test("a RUN that changes nothing adds no layer (empty_layer, as Docker)", async () => {
    const r = await store.build("FROM alpine:3.20\nRUN true\nRUN ls /\n", {}, ["-t", "empty"]);
    expect(r.exitCode).toBe(0);
    const h = await store.build("FROM alpine:3.20\n", {}, ["-q"]);
    expect(h.exitCode).toBe(0);
    const files = await store.files("empty");
    expect(files.size).toBe((await store.files("alpine:3.20")).size);
  });

  test("RUN output is streamed raw between the step lines", async () => {
    const r = await store.build("FROM alpine:3.20\nRUN printf 'line1\\nline1\\nline1\\n'\n");
    expect(r.stdout).toMatch(/Step 2\/2 : RUN printf 'line1\\nline1\\nline1\\n'\n ---> Running in [0-9a-f]{12}\nline1\nline1\nline1\nRemoving intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\n/);
  });

  test("a failing RUN names its line, the command and the exit code", async () => {
    const r = await store.build("FROM alpine:3.20\nENV X=1\n\nRUN exit 3\n");
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("Dockerfile:4: RUN exit 3: exit code 3");
    expect(r.stderr).toContain("The command '/bin/sh -c exit 3' returned a non-zero code: 3");
  });

  // Docker's output stops at the failing step: no later stage is printed, neither one that
  // depends on the failed stage nor an independent one that ran meanwhile.
  const failures: [string, string, string, string[]][] = [
    ["a stage built on the failed one never prints", "FROM alpine:3.20 AS lower\nARG q=1\nRUN echo lower-ok\nRUN echo failing; false\nFROM lower AS upper\nRUN echo upper\n", "failing\n", ["Step 5/6", "upper"]],
    [
      "an independent later stage's output is dropped",
      "FROM alpine:3.20 AS a\nRUN echo a-fails; false\nFROM alpine:3.20 AS b\nRUN echo b-ran\nFROM alpine:3.20\nCOPY --from=a /etc/hostname /a\nCOPY --from=b /etc/hostname /b\n",
      "a-fails\n",
      ["Step 3/", "b-ran", "Step 5/"],
    ],
  ];
  for (const [name, df, lastOutput, absent] of failures) {
    test(`after a failed RUN: ${name}`, async () => {
      const r = await store.build(df, {}, ["--no-cache"]);
      expect(r.exitCode).toBe(1);
      expect(r.stdout).toMatch(new RegExp(` ---> Running in [0-9a-f]{12}\n${lastOutput}$`));
      for (const a of absent) expect(r.stdout).not.toContain(a);
      expect(r.stderr).toMatch(/^Dockerfile:\d+: RUN echo [a-z-]+; false: exit code 1$/m);
    }, 60_000);
  }

  test("--network none leaves only loopback", async () => {
    const r = await store.build("FROM alpine:3.20\nRUN ls /sys/class/net > /nets\n", {}, ["-t", "netnone", "--network", "none"]);
    expect(r.exitCode).toBe(0);
    expect(mismatches(await store.files("netnone"), { "/nets": { content: "lo\n" } })).toEqual([]);
  });

  test("independent stages run at the same time (each waits for the other's mark in a shared cache mount)", async () => {
    // Run one after the other, each stage would give up waiting and fail.
    const wait = (mine: string, theirs: string) =>
      `RUN --mount=type=cache,target=/rv,id=rendezvous-${process.pid} touch /rv/${mine} && i=0 && while [ ! -e /rv/${theirs} ] && [ $i -lt 3000000 ]; do i=$((i+1)); done && [ -e /rv/${theirs} ]`;
    const df = `FROM alpine:3.20 AS a\n${wait("a", "b")}\nFROM alpine:3.20 AS b\n${wait("b", "a")}\nFROM alpine:3.20\nCOPY --from=a /etc/hostname /a\nCOPY --from=b /etc/hostname /b\n`;
    const r = await store.build(df, {}, ["--no-cache"]);
    if (r.exitCode !== 0) throw new Error(r.stdout + r.stderr);
    // The output still reads stage by stage.
    expect(r.stdout.indexOf("FROM alpine:3.20 AS b")).toBeGreaterThan(r.stdout.indexOf("touch /rv/a"));
  }, 60_000);

  test("-q prints only the image id", async () => {
    const r = await store.build("FROM alpine:3.20\nRUN echo noisy\n", {}, ["-q"]);
    expect(r.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
  });
});
