// `ADD <git url> DEST` (BuildKit's): the repository checked out at DEST from
// a local git daemon (git://) or a dumb HTTP server (http://…​.git), owned
// by root or --chown, without .git unless --keep-git-dir=true, #ref:subdir;
// the cache key is the commit the ref names (a hit while the branch stays,
// a miss after a new commit, a tag unaffected); and the errors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Store } from "../../src/store/index.ts";
import { hasCommand, runKiln, skipReason } from "../harness.ts";
import { cannotBuild, cannotBuildReason, mismatches, openBuildStore, type BuildStore, type Expect } from "./build-lib.ts";
import { startGitServer, type GitServer } from "./git-serve.ts";

const skip = skipReason(cannotBuild || !hasCommand("git"), `${cannotBuildReason}, and git`);

describe.skipIf(skip)("ADD of a git repository", () => {
  let store: BuildStore;
  let server: GitServer;
  beforeAll(async () => {
    store = await openBuildStore("add-git");
    server = await startGitServer();
    server.createRepo("repo", { "README.md": "r1\n", "src/main.c": "int main(void) { return 0; }\n", "bin/run.sh": { mode: 0o755, content: "#!/bin/sh\n" } });
    server.commit("repo", {}, { tag: "v1" });
    server.createRepo("moving", { "state.txt": "one\n" });
  }, 120_000);
  afterAll(() => {
    server?.[Symbol.dispose]();
    store?.[Symbol.dispose]();
  });

  // name, Dockerfile (from the server), what the image must hold.
  const rows: [string, (s: GitServer) => string, Expect][] = [
    ["git:// at a branch: files owned by root, no .git", (s) => `FROM scratch\nADD ${s.gitUrl("repo")}#main /src\n`, {
      "/src/README.md": { content: "r1\n", uid: 0, gid: 0 },
      "/src/bin/run.sh": { mode: 0o755 },
      "/src/.git": null,
    }],
    ["--keep-git-dir=true keeps .git", (s) => `FROM scratch\nADD --keep-git-dir=true ${s.gitUrl("repo")}#v1 /src\n`, {
      "/src/README.md": { content: "r1\n" },
      "/src/.git/HEAD": { type: "file" },
    }],
    ["--chown owns the checkout", (s) => `FROM scratch\nADD --chown=1000:1001 ${s.gitUrl("repo")} /src/\n`, {
      "/src/README.md": { uid: 1000, gid: 1001 },
      "/src/src": { type: "dir", uid: 1000, gid: 1001 },
    }],
    ["smart HTTP .git URL at a tag", (s) => `FROM scratch\nADD ${s.httpUrl("smart/repo.git")}#v1 /s\n`, {
      "/s/README.md": { content: "r1\n" },
    }],
    ["dumb HTTP .git URL without a fragment: the default branch", (s) => `FROM scratch\nADD ${s.httpUrl("repo.git")} /d\n`, {
      "/d/README.md": { content: "r1\n" },
      "/d/.git": null,
    }],
    ["dumb HTTP .git URL with #ref:subdir", (s) => `FROM scratch\nADD ${s.httpUrl("repo.git")}#v1:src /c\n`, {
      "/c/main.c": { content: "int main(void) { return 0; }\n" },
      "/c/README.md": null,
    }],
  ];
  for (const [name, dockerfile, expected] of rows) {
    test(name, async () => {
      const tag = `add-git-${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}`.slice(0, 60);
      const r = await store.build(dockerfile(server), {}, ["-t", tag]);
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(mismatches(await store.files(tag), expected)).toEqual([]);
    }, 60_000);
  }

  test("--keep-git-dir over a URL with credentials: the kept origin has none", async () => {
    const url = server.httpUrl("smart/repo.git").replace("http://", "http://user:s3cret@");
    const r = await store.build(`FROM scratch\nADD --keep-git-dir=true ${url}#v1 /k\n`, {}, ["-t", "kept-origin"]);
    expect(r.exitCode).toBe(0);
    using s = await Store.open({ root: store.root });
    const image = await s.getImage("kept-origin");
    const layers = await Promise.all(image.manifest.layers.map(async (l) => {
      const bytes = new Uint8Array(await Bun.file(s.blobPath(l.digest)).arrayBuffer());
      return new TextDecoder().decode(bytes[0] === 0x1f && bytes[1] === 0x8b ? Bun.gunzipSync(bytes) : bytes);
    }));
    // Booleans, not the layer text: a failure would print the whole tar.
    expect(/url = http:\/\/127\.0\.0\.1:\d+\/smart\/repo\.git/.test(layers.join(""))).toBe(true);
    expect(layers.join("").includes("s3cret")).toBe(false);
    expect(r.stdout + r.stderr).not.toMatch(/fetching .*s3cret/);
  }, 60_000);

  test("the cache key is the commit: a hit while the branch stays, a miss after a new commit, a tag unaffected", async () => {
    const dockerfile = `FROM scratch\nADD ${server.gitUrl("moving")}#main /m\nADD ${server.gitUrl("repo")}#v1 /r\n`;
    const build = async () => {
      const r = await store.build(dockerfile, {}, ["-t", "moving"]);
      expect(r.exitCode).toBe(0);
      return r.stdout.split(/^Step /m).slice(1).map((s) => s.includes("Using cache"));
    };
    await build();
    expect(await build()).toEqual([false, true, true]);
    expect(mismatches(await store.files("moving"), { "/m/state.txt": { content: "one\n" } })).toEqual([]);
    server.commit("moving", { "state.txt": "two\n" });
    // A new commit on main: step 2 runs again, and step 3 (now on another parent) too.
    expect(await build()).toEqual([false, false, false]);
    expect(mismatches(await store.files("moving"), { "/m/state.txt": { content: "two\n" }, "/r/README.md": { content: "r1\n" } })).toEqual([]);
    expect(await build()).toEqual([false, true, true]);
  }, 120_000);

  const failures: [string, (s: GitServer) => string, RegExp, Record<string, string>?][] = [
    ["a missing ref", (s) => `FROM scratch\nADD ${s.gitUrl("repo")}#nope /src\n`, /Dockerfile:2: ADD failed: git ref "nope" not found/],
    ["a missing subdir", (s) => `FROM scratch\nADD ${s.gitUrl("repo")}#main:nosuch /src\n`, /Dockerfile:2: ADD failed: directory not found: "nosuch"/],
    ["a --checksum that is not the commit", (s) => `FROM scratch\nADD --checksum=0123456789abcdef ${s.gitUrl("repo")}#v1 /src\n`, /Dockerfile:2: ADD failed: checksum mismatch/],
    ["git not installed", (s) => `FROM scratch\nADD ${s.gitUrl("repo")} /src\n`, /Dockerfile:2: git was not found in PATH[^]*apt install git/, { PATH: "/nonexistent" }],
  ];
  for (const [name, dockerfile, message, env] of failures) {
    test(`fails clearly: ${name}`, async () => {
      const r = env
        ? await runKiln(["build", "-"], { root: store.root, env, stdin: dockerfile(server) })
        : await store.build(dockerfile(server));
      expect(r.stderr).toMatch(message);
      expect(r.exitCode).toBe(1);
    }, 60_000);
  }
});
