// `kiln build URL`, as docker build takes remote contexts: Git repositories
// (git:// from a local git daemon, http:// .git from a dumb HTTP server) at a
// branch, tag, full or abbreviated commit, `#ref:subdir`, with submodules and
// without .git; an http tarball as the context; an http Dockerfile without
// context; -f inside a remote context; and the errors (missing ref or subdir,
// unreachable remote, 404, git not installed, credentials never shown).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { hasCommand, runKiln, skipReason, tempDir } from "../harness.ts";
import { cannotBuild, cannotBuildReason, mismatches, openBuildStore, type BuildStore, type Expect } from "./build-lib.ts";
import { startGitServer, type GitServer } from "./git-serve.ts";

const skip = skipReason(cannotBuild || !hasCommand("git"), `${cannotBuildReason}, and git`);

describe.skipIf(skip)("remote build contexts", () => {
  let store: BuildStore;
  let server: GitServer;
  const ids: Record<string, string> = {};
  beforeAll(async () => {
    store = await openBuildStore("remote-context");
    server = await startGitServer();
    ids.v1 = server.createRepo("app", {
      Dockerfile: "FROM scratch\nCOPY . /ctx/\n",
      "version.txt": "v1\n",
      "sub/Dockerfile": "FROM scratch\nCOPY . /sub/\n",
      "sub/in-sub.txt": "sub\n",
      "docker/Dockerfile.alt": "FROM scratch\nCOPY version.txt /alt.txt\n",
    });
    ids.v2 = server.commit("app", { "version.txt": "v2\n" }, { tag: "v2" });
    ids.v3 = server.commit("app", { "version.txt": "v3\n" });
    server.commit("app", { "version.txt": "feature\n" }, { branch: "feature" });
    server.createRepo("lib", { "lib.txt": "lib\n" });
    server.createRepo("withsub", { Dockerfile: "FROM scratch\nCOPY . /ctx/\n" });
    server.addSubmodule("withsub", "lib", server.gitUrl("lib"));
    using ctx = tempDir("tar-ctx", { Dockerfile: "FROM scratch\nCOPY . /tar/\n", "a.txt": "from tar\n", "alt/Dockerfile": "FROM scratch\nCOPY a.txt /alt-tar.txt\n" });
    Bun.spawnSync(["tar", "-czf", `${ctx.path}.tar.gz`, "-C", ctx.path, "."]);
    server.serveFile("ctx.tar.gz", new Uint8Array(await Bun.file(`${ctx.path}.tar.gz`).arrayBuffer()));
    Bun.spawnSync(["rm", "-f", `${ctx.path}.tar.gz`]);
    server.serveFile("hello.txt", "hello\n");
    server.serveFile("Dockerfile", `FROM scratch\nADD ${server.httpUrl("files/hello.txt")} /hello.txt\n`);
  }, 120_000);
  afterAll(() => {
    server?.[Symbol.dispose]();
    store?.[Symbol.dispose]();
  });

  // name, build args (URL last) as a function of the server, what the image must hold.
  const builds: [string, (s: GitServer) => string[], Expect][] = [
    ["git:// without a fragment: the default branch, no .git", (s) => [s.gitUrl("app")], { "/ctx/version.txt": { content: "v3\n", uid: 0 }, "/ctx/.git": null }],
    ["a branch", (s) => [`${s.gitUrl("app")}#feature`], { "/ctx/version.txt": { content: "feature\n" } }],
    ["an annotated tag", (s) => [`${s.gitUrl("app")}#v2`], { "/ctx/version.txt": { content: "v2\n" } }],
    ["a full commit id", (s) => [`${s.gitUrl("app")}#${ids.v1}`], { "/ctx/version.txt": { content: "v1\n" } }],
    ["an abbreviated commit id", (s) => [`${s.gitUrl("app")}#${ids.v2!.slice(0, 10)}`], { "/ctx/version.txt": { content: "v2\n" } }],
    ["#ref:subdir is the context dir", (s) => [`${s.gitUrl("app")}#main:sub`], { "/sub/in-sub.txt": { content: "sub\n" }, "/sub/version.txt": null }],
    ["smart HTTP .git URL (shallow fetch) at a branch", (s) => [s.httpUrl("smart/app.git#feature")], { "/ctx/version.txt": { content: "feature\n" }, "/ctx/.git": null }],
    ["dumb HTTP .git URL without a fragment: the default branch", (s) => [s.httpUrl("app.git")], { "/ctx/version.txt": { content: "v3\n" } }],
    ["dumb HTTP .git URL at a tag", (s) => [s.httpUrl("app.git#v2")], { "/ctx/version.txt": { content: "v2\n" }, "/ctx/.git": null }],
    ["-f is relative to the git context's root", (s) => ["-f", "docker/Dockerfile.alt", `${s.gitUrl("app")}#v2`], { "/alt.txt": { content: "v2\n" } }],
    ["submodules are checked out recursively, without .git", (s) => [s.gitUrl("withsub")], { "/ctx/lib/lib.txt": { content: "lib\n" }, "/ctx/lib/.git": null, "/ctx/.gitmodules": { type: "file" } }],
    ["an http .tar.gz is the context", (s) => [s.httpUrl("files/ctx.tar.gz")], { "/tar/a.txt": { content: "from tar\n" } }],
    ["-f is relative to the tarball's root", (s) => ["-f", "alt/Dockerfile", s.httpUrl("files/ctx.tar.gz")], { "/alt-tar.txt": { content: "from tar\n" } }],
    ["an http text file is the Dockerfile, without context", (s) => [s.httpUrl("files/Dockerfile")], { "/hello.txt": { content: "hello\n", mode: 0o600 } }],
  ];
  for (const [name, args, expected] of builds) {
    test(name, async () => {
      const tag = `remote-${name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}`.slice(0, 60);
      const r = await runKiln(["build", "-t", tag, ...args(server)], { root: store.root });
      expect(r.stderr).not.toContain("Error");
      expect(r.exitCode).toBe(0);
      expect(mismatches(await store.files(tag), expected)).toEqual([]);
    }, 60_000);
  }

  // name, args, what stderr must say, extra env.
  const failures: [string, (s: GitServer) => string[], RegExp, Record<string, string>?][] = [
    ["a missing ref", (s) => [`${s.gitUrl("app")}#nope`], /git ref "nope" not found in git:\/\/127\.0\.0\.1:\d+\/app\.git/],
    ["a missing ref over dumb HTTP", (s) => [s.httpUrl("app.git#nope")], /git ref "nope" not found in http:\/\/127\.0\.0\.1:\d+\/app\.git/],
    ["a missing subdir", (s) => [`${s.gitUrl("app")}#v2:nosuch`], /directory not found: "nosuch" in .* at "v2"/],
    ["a subdir that is a file", (s) => [`${s.gitUrl("app")}#main:version.txt`], /not a directory: "version.txt"/],
    ["a repository the daemon does not have", (s) => [s.gitUrl("absent")], /fetching git:\/\/127\.0\.0\.1:\d+\/absent\.git failed: .*(not exported|does not appear|access denied)/],
    ["an http URL that answers 404", (s) => [s.httpUrl("files/absent.tar")], /failed to GET http:\/\/127\.0\.0\.1:\d+\/files\/absent\.tar with status 404/],
    ["credentials in a git URL are never shown", (s) => [s.httpUrl("absent.git").replace("http://", "http://user:s3cret@")], /fetching http:\/\/xxxxx@127\.0\.0\.1:\d+\/absent\.git failed/],
    ["-f with a Dockerfile URL", (s) => ["-f", "other", s.httpUrl("files/Dockerfile")], /is a Dockerfile, not a context: -f cannot name another file/],
    ["git not installed", (s) => [s.gitUrl("app")], /git was not found in PATH[^]*apt install git/, { PATH: "/nonexistent" }],
  ];
  for (const [name, args, message, env] of failures) {
    test(`fails clearly: ${name}`, async () => {
      const r = await runKiln(["build", ...args(server)], { root: store.root, env });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).not.toContain("s3cret");
      expect(r.stderr).not.toMatch(/^\s+at /m);
      expect(r.exitCode).not.toBe(0);
    }, 60_000);
  }

  test("the fetched context leaves nothing in the store's temp area", async () => {
    const r = await runKiln(["build", "-q", `${server.gitUrl("withsub")}`], { root: store.root });
    expect(r.exitCode).toBe(0);
    expect(existsSync(`${store.root}/tmp`) ? readdirSync(`${store.root}/tmp`) : []).toEqual([]);
  }, 60_000);
});
