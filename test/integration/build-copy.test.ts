// COPY and ADD rules, one real build per row on kiln's alpine:3.20, checked on
// the image's flattened filesystem: Docker's destination rules, globs, owners
// and modes, symlinks, archives, .dockerignore, --from.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { chmodSync, readFileSync } from "node:fs";
import { skipReason, tempDir, type Tree } from "../harness.ts";
import { cannotBuild, cannotBuildReason, mismatches, openBuildStore, type BuildStore, type Expect } from "./build-lib.ts";

const skip = skipReason(cannotBuild, cannotBuildReason);
const FILES: Tree = { "a.txt": "a\n", "b.txt": "b\n", "c.md": "c\n", "dir/x": "x\n", "dir/sub/y": "y\n" };
const tar = (dir: string, flags: string[], out: string, ...paths: string[]) => {
  const r = Bun.spawnSync(["tar", ...flags, "-cf", `${dir}/${out}`, "-C", `${dir}/payload`, ...paths], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(r.stderr.toString());
};

interface Row {
  name: string;
  dockerfile: string;
  tree?: Tree;
  setup?: (dir: string) => void;
  expect: Expect;
}

const rows: Row[] = [
  { name: "a file into a directory written with a trailing slash", dockerfile: "COPY a.txt /dst/", expect: { "/dst": { type: "dir", mode: 0o755, uid: 0 }, "/dst/a.txt": { type: "file", mode: 0o644, content: "a\n" } } },
  { name: "a file to a new path without slash is that file", dockerfile: "COPY a.txt /dst", expect: { "/dst": { type: "file", content: "a\n" } } },
  { name: "a file into an existing directory without slash", dockerfile: "COPY a.txt /etc", expect: { "/etc/a.txt": { type: "file" }, "/etc/passwd": { type: "file" } } },
  { name: "a directory source copies its contents, not itself", dockerfile: "COPY dir /d/", expect: { "/d/x": { type: "file" }, "/d/sub/y": { content: "y\n" }, "/d/dir": null } },
  { name: "several sources into a directory", dockerfile: "COPY a.txt b.txt /m/", expect: { "/m/a.txt": { type: "file" }, "/m/b.txt": { type: "file" } } },
  { name: "globs with Go's filepath.Match", dockerfile: "COPY *.txt /g/", expect: { "/g/a.txt": { type: "file" }, "/g/b.txt": { type: "file" }, "/g/c.md": null } },
  { name: "a wildcard matching nothing among matching sources is ignored (Docker)", dockerfile: "COPY a.txt no-match* dir-* *.md /w/", tree: { "dir-a/z": "z\n" }, expect: { "/w/a.txt": { type: "file" }, "/w/c.md": { type: "file" }, "/w/z": { content: "z\n" } } },
  { name: "missing parents are created 0755 root", dockerfile: "COPY a.txt /p/q/r", expect: { "/p": { type: "dir", mode: 0o755, uid: 0, gid: 0 }, "/p/q": { mode: 0o755 }, "/p/q/r": { type: "file" } } },
  { name: "--chown with numbers (new parents get it too, as in Docker)", dockerfile: "COPY --chown=1000:1001 a.txt /own/f", expect: { "/own": { uid: 1000, gid: 1001 }, "/own/f": { uid: 1000, gid: 1001 } } },
  { name: "--chown with names from the image's passwd and group", dockerfile: "COPY --chown=nobody:nogroup a.txt /n", expect: { "/n": { uid: 65534, gid: 65533 } } },
  { name: "--chown=user alone uses the same word as group", dockerfile: "COPY --chown=daemon a.txt /daemon", expect: { "/daemon": { uid: 2, gid: 2 } } },
  { name: "--chmod octal", dockerfile: "COPY --chmod=0600 a.txt /c", expect: { "/c": { mode: 0o600 } } },
  { name: "--chmod symbolic", dockerfile: "COPY --chmod=u+x,go-r a.txt /s", expect: { "/s": { mode: 0o700 } } },
  { name: "a setuid file loses setuid (Docker 20.10's chown after chmod)", dockerfile: "COPY suid /suid", tree: { suid: { mode: 0o4755, content: "#!/bin/sh\n" } }, setup: (d) => chmodSync(`${d}/suid`, 0o4755), expect: { "/suid": { mode: 0o755 } } },
  {
    name: "symlinks inside a directory stay symlinks",
    dockerfile: "COPY links /l/",
    tree: { "links/target": "t\n", "links/rel": { symlink: "target" }, "links/abs": { symlink: "/etc/passwd" } },
    expect: { "/l/rel": { type: "symlink", linkTarget: "target" }, "/l/abs": { type: "symlink", linkTarget: "/etc/passwd" } },
  },
  { name: "a symlink named as the source is followed", dockerfile: "COPY la /la", tree: { la: { symlink: "a.txt" } }, expect: { "/la": { type: "file", content: "a\n" } } },
  { name: "an existing destination directory keeps its owner and mode", dockerfile: "RUN mkdir -m 700 /keep && chown 5:6 /keep\nCOPY dir /keep/", expect: { "/keep": { mode: 0o700, uid: 5, gid: 6 }, "/keep/x": { uid: 0 } } },
  { name: "a relative destination is under WORKDIR", dockerfile: "WORKDIR /w\nCOPY a.txt rel/\nCOPY b.txt .", expect: { "/w/rel/a.txt": { type: "file" }, "/w/b.txt": { type: "file" } } },
  { name: "a destination through a symlink of the image lands inside the image", dockerfile: "RUN mkdir /real && ln -s /real /lnk\nCOPY a.txt /lnk/", expect: { "/real/a.txt": { type: "file" }, "/lnk": { type: "symlink" } } },
  { name: "../ cannot leave the context (clamped to its root, as Docker does)", dockerfile: "COPY ../../a.txt /up", expect: { "/up": { content: "a\n" } } },
  {
    name: "ADD unpacks local archives of every compression",
    dockerfile: "ADD plain.tar /t/\nADD z.tar.gz /gz/\nADD z.tar.bz2 /bz/\nADD z.tar.xz /xz/\nADD z.tar.zst /zst/",
    tree: { "payload/inner/f.txt": "inner\n" },
    setup: (d) => {
      tar(d, [], "plain.tar", "inner");
      tar(d, ["-z"], "z.tar.gz", "inner");
      tar(d, ["-j"], "z.tar.bz2", "inner");
      tar(d, ["-J"], "z.tar.xz", "inner");
      tar(d, ["--zstd"], "z.tar.zst", "inner");
    },
    expect: { "/t/inner/f.txt": { content: "inner\n" }, "/gz/inner/f.txt": { content: "inner\n" }, "/bz/inner/f.txt": { content: "inner\n" }, "/xz/inner/f.txt": { content: "inner\n" }, "/zst/inner/f.txt": { content: "inner\n" } },
  },
  { name: "ADD of a file that is not an archive copies it", dockerfile: "ADD a.txt /added", expect: { "/added": { type: "file", content: "a\n" } } },
  { name: "COPY never unpacks", dockerfile: "COPY z.tar.gz /kept.tar.gz", tree: { "payload/f": "f" }, setup: (d) => tar(d, ["-z"], "z.tar.gz", "f"), expect: { "/kept.tar.gz": { type: "file" }, "/f": null } },
  { name: ".dockerignore keeps files out of COPY .", dockerfile: "COPY . /ctx/", tree: { ".dockerignore": "*.md\ndir/sub\n" }, expect: { "/ctx/a.txt": { type: "file" }, "/ctx/c.md": null, "/ctx/dir/x": { type: "file" }, "/ctx/dir/sub": null } },
  { name: "COPY --from a stage keeps the files' owners", dockerfile: "RUN touch /made && chown 7:8 /made\nFROM alpine:3.20\nCOPY --from=0 /made /from-stage", expect: { "/from-stage": { uid: 7, gid: 8 } } },
  { name: "ADD --chown does not apply to unpacked archives (Docker)", dockerfile: "ADD --chown=9:9 z.tar /u/", tree: { "payload/g": "g" }, setup: (d) => tar(d, ["--owner=3", "--group=4"], "z.tar", "g"), expect: { "/u/g": { uid: 3, gid: 4 } } },
];

describe.skipIf(skip)("COPY and ADD, real builds on alpine", () => {
  let store: BuildStore;
  beforeAll(async () => {
    store = await openBuildStore("copy");
  }, 60_000);
  afterAll(() => store?.[Symbol.dispose]());

  for (const [i, row] of rows.entries()) {
    test(row.name, async () => {
      const tag = `copy-${i}`;
      const r = await store.build(`FROM alpine:3.20\n${row.dockerfile}\n`, { ...FILES, ...row.tree }, ["-t", tag], row.setup);
      if (r.exitCode !== 0) throw new Error(r.stdout + r.stderr);
      expect(mismatches(await store.files(tag), row.expect)).toEqual([]);
    }, 30_000);
  }

  describe("ADD <url>", () => {
    const tarBytes = () => {
      using d = tempDir("add-url", { "payload/in": "in\n" });
      Bun.spawnSync(["tar", "-czf", d.join("t.tgz"), "-C", d.join("payload"), "in"]);
      return new Uint8Array(readFileSync(d.join("t.tgz")));
    };
    let server: ReturnType<typeof Bun.serve>;
    beforeAll(() => {
      server = Bun.serve({
      port: 0,
      hostname: "127.0.0.1",
      fetch(req) {
        const path = new URL(req.url).pathname;
        if (path === "/files/hello.txt") return new Response("hello from http\n", { headers: { "last-modified": "Wed, 21 Oct 2015 07:28:00 GMT" } });
        if (path === "/files/archive.tgz") return new Response(tarBytes());
        return new Response("nope", { status: 404 });
      },
      });
    });
    afterAll(() => server?.stop(true));
    const url = (p: string) => `http://127.0.0.1:${server.port}${p}`;

    test("a URL is downloaded as a 0600 file with the Last-Modified time, named after the URL", async () => {
      const r = await store.build(`FROM alpine:3.20\nADD ${url("/files/hello.txt")} /dl/\n`, {}, ["-t", "add-url"]);
      if (r.exitCode !== 0) throw new Error(r.stdout + r.stderr);
      const f = (await store.files("add-url")).get("/dl/hello.txt");
      expect(f?.mode).toBe(0o600);
      expect(f?.sha256).toBe(`sha256:${new Bun.CryptoHasher("sha256").update("hello from http\n").digest("hex")}`);
    });
    test("a downloaded archive is not unpacked", async () => {
      const r = await store.build(`FROM alpine:3.20\nADD ${url("/files/archive.tgz")} /dl/\n`, {}, ["-t", "add-url-tgz"]);
      if (r.exitCode !== 0) throw new Error(r.stdout + r.stderr);
      const files = await store.files("add-url-tgz");
      expect(files.get("/dl/archive.tgz")?.type).toBe("file");
      expect(files.has("/dl/in")).toBe(false);
    });
    test("--checksum is verified", async () => {
      const bad = "sha256:" + "0".repeat(64);
      const r = await store.build(`FROM alpine:3.20\nADD --checksum=${bad} ${url("/files/hello.txt")} /x\n`);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/Dockerfile:2: ADD failed: checksum mismatch/);
    });
    test("a URL that answers 404 fails on its line", async () => {
      const r = await store.build(`FROM alpine:3.20\nADD ${url("/missing")} /x\n`);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/Dockerfile:2: ADD failed: .* answered 404/);
    });
  });

  const failing: [string, string, number, RegExp][] = [
    ["a missing source, on its line", "FROM alpine:3.20\nRUN true\nCOPY nothere /x\n", 3, /COPY failed: file not found in build context or excluded by \.dockerignore: stat nothere: file does not exist/],
    ["several sources need a directory ending in /", "FROM alpine:3.20\nCOPY a.txt b.txt /m\n", 2, /the destination must be a directory and end with a \//],
    ["an unknown --chown user", "FROM alpine:3.20\nCOPY --chown=nosuchuser a.txt /x\n", 2, /can't find uid for user nosuchuser/],
    ["only wildcards, none matching (.dockerignore hides c.md)", "FROM alpine:3.20\nCOPY *.md no-match* /x/\n", 2, /COPY failed: no source files were specified/],
    ["a missing plain file among matching wildcards", "FROM alpine:3.20\nCOPY *.txt nothere /x/\n", 2, /COPY failed: file not found in build context/],
    ["a file excluded by .dockerignore is missing", "FROM alpine:3.20\nCOPY c.md /x\n", 2, /file not found in build context or excluded by \.dockerignore/],
  ];
  for (const [name, df, line, re] of failing) {
    test(`error: ${name}`, async () => {
      const r = await store.build(df, { ...FILES, ".dockerignore": "c.md\n" });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`^Dockerfile:${line}: `, "m"));
      expect(r.stderr).toMatch(re);
    });
  }
});
