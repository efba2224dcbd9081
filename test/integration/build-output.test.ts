// kiln build -o (type=local, tar to a file and to stdout, the DIR shorthand,
// oci/docker archives) and -v (rw, ro), real builds on kiln's alpine:3.20:
// the exported tree is the image's filesystem with whiteouts applied and
// owners, modes, links kept; a volume's writes reach the host dir and nothing
// of the mount reaches the layer; a rebuild with another -v is a cache hit.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, lstatSync, mkdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from "node:fs";
import { capture } from "../../src/util/spawn.ts";
import { hasCommand, kilnExe, runKiln, skipReason, tempDir, type TempDir } from "../harness.ts";
import { cannotBuild, cannotBuildReason, openBuildStore, type BuildStore } from "./build-lib.ts";

const skip = skipReason(cannotBuild, cannotBuildReason);

// /etc/motd is in alpine's layer and deleted here: a whiteout the export must apply.
const DOCKERFILE = `FROM alpine:3.20
RUN rm /etc/motd && echo hi > /hello && chown 12:34 /hello && ln -s /hello /link && ln /hello /hard && cp /bin/busybox /suid && chmod 4755 /suid && mkdir /data && chmod 0750 /data
`;

describe.skipIf(skip)("kiln build -o and -v, real builds on alpine", () => {
  let store: BuildStore;
  let out: TempDir;
  beforeAll(async () => {
    store = await openBuildStore("output");
    out = tempDir("output-dest");
  }, 60_000);
  afterAll(() => {
    out?.[Symbol.dispose]();
    store?.[Symbol.dispose]();
  });

  /** The facts of the exported tree every form must show. */
  function checkTree(has: (p: string) => boolean, entry: (p: string) => { mode: number; uid: number; gid: number; link?: string; type: string; nlinkWith?: string }) {
    expect(has("etc/motd")).toBe(false);
    expect(has("etc/os-release")).toBe(true);
    expect(entry("hello")).toMatchObject({ type: "file", uid: 12, gid: 34 });
    expect(entry("link")).toMatchObject({ type: "symlink", link: "/hello" });
    expect(entry("suid").mode & 0o7777).toBe(0o4755);
    expect(entry("data")).toMatchObject({ type: "dir", mode: 0o750 });
  }

  const rows: [string, (dir: string) => string[]][] = [
    ["type=local,dest=DIR", (dir) => ["-o", `type=local,dest=${dir}`]],
    ["the DIR shorthand, into an existing dir", (dir) => (mkdirSync(dir), ["-o", dir])],
  ];
  for (const [name, args] of rows) {
    test(`-o ${name}: the image's filesystem, whiteouts applied, owners, modes, links kept`, async () => {
      const dir = out.join(name.replace(/\W+/g, "-"));
      const r = await store.build(DOCKERFILE, {}, args(dir));
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toContain("Successfully built"); // the image is built (and stored) as well
      checkTree(
        (p) => existsSync(`${dir}/${p}`) || lstatSync(`${dir}/${p}`, { throwIfNoEntry: false }) !== undefined,
        (p) => {
          const st = lstatSync(`${dir}/${p}`);
          return { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, type: st.isSymbolicLink() ? "symlink" : st.isDirectory() ? "dir" : "file", link: st.isSymbolicLink() ? readlinkSync(`${dir}/${p}`) : undefined };
        },
      );
      // One inode for the hard-linked names.
      expect(statSync(`${dir}/hard`).ino).toBe(statSync(`${dir}/hello`).ino);
      expect(readFileSync(`${dir}/hello`, "utf8")).toBe("hi\n");
    }, 60_000);
  }

  /** `tar -tvf` lines → path → "MODE OWNER TARGET" ("-rwsr-xr-x 0/0", "lrwxrwxrwx 0/0 -> /hello", "hrw-r--r-- 12/34 link to hard"). */
  async function tarListing(file: string | Uint8Array): Promise<Map<string, string>> {
    const r = typeof file === "string" ? await capture(["tar", "--numeric-owner", "-tvf", file]) : await capture(["tar", "--numeric-owner", "-tvf", "-"], { stdin: file });
    expect(r.exitCode, r.stderr).toBe(0);
    return new Map(r.stdout.trim().split("\n").map((l) => {
      const f = l.split(/\s+/);
      const [name, target] = f.slice(5).join(" ").split(/ (?=-> |link to )/);
      return [name!.replace(/\/$/, ""), [f[0], f[1], target].filter(Boolean).join(" ")] as const;
    }));
  }
  function checkListing(t: Map<string, string>) {
    expect(t.has("etc/motd")).toBe(false);
    expect(t.has("etc/os-release")).toBe(true);
    expect(t.get("hello")?.slice(1)).toStartWith("rw-r--r-- 12/34");
    expect(t.get("suid")).toBe("-rwsr-xr-x 0/0");
    expect(t.get("data")).toBe("drwxr-x--- 0/0");
    expect(t.get("link")).toBe("lrwxrwxrwx 0/0 -> /hello");
    // One of the inode's two names is a hard link entry to the other.
    expect([t.get("hard"), t.get("hello")].filter((v) => /^h.* link to (hello|hard)$/.test(v ?? "")).length).toBe(1);
  }

  test("-o type=tar,dest=FILE: the filesystem as a tar", async () => {
    const file = out.join("fs.tar");
    const r = await store.build(DOCKERFILE, {}, ["-o", `type=tar,dest=${file}`]);
    expect(r.exitCode, r.stderr).toBe(0);
    checkListing(await tarListing(file));
  }, 60_000);

  test("-o -: stdout holds the tar only, the build's lines go to stderr", async () => {
    const ctx = tempDir("output-stdout", { Dockerfile: `${DOCKERFILE}RUN echo run-output-line\n` });
    try {
      const proc = Bun.spawn([kilnExe(), "build", "--no-cache", "-o", "-", ctx.path], { env: { ...process.env, KILN_ROOT: store.root }, stdout: "pipe", stderr: "pipe" });
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).bytes(), new Response(proc.stderr).text(), proc.exited]);
      expect(code, stderr).toBe(0);
      expect(stderr).toContain("Successfully built");
      expect(stderr).toContain("run-output-line"); // RUN output too
      checkListing(await tarListing(stdout));
    } finally {
      ctx[Symbol.dispose]();
    }
  }, 60_000);

  test.skipIf(skipReason(!hasCommand("skopeo"), "skopeo is not installed"))("-o type=oci,dest=FILE and type=docker,dest=FILE: archives skopeo reads", async () => {
    for (const [type, transport] of [["oci", "oci-archive"], ["docker", "docker-archive"]] as const) {
      const file = out.join(`img-${type}.tar`);
      const r = await store.build(DOCKERFILE, {}, ["-t", "outimg:1", "-o", `type=${type},dest=${file}`]);
      expect(r.exitCode, r.stderr).toBe(0);
      const i = await capture(["skopeo", "inspect", "--raw", `${transport}:${file}`]);
      expect(i.exitCode, i.stderr).toBe(0);
      const layers = (JSON.parse(i.stdout) as { layers: unknown[] }).layers;
      expect(layers.length).toBe(2); // alpine's + the RUN's
    }
  }, 60_000);

  test("-o keeps xattrs (a pax SCHILY.xattr entry of an imported image) in DIR and in the tar", async () => {
    const src = out.join("xattr-rootfs.tar");
    const py = `import tarfile, io\nt = tarfile.open(${JSON.stringify(src)}, "w", format=tarfile.PAX_FORMAT)\ni = tarfile.TarInfo("f"); i.size = 2; i.pax_headers = {"SCHILY.xattr.user.kiln": "yes"}\nt.addfile(i, io.BytesIO(b"hi")); t.close()\n`;
    expect((await capture(["python3", "-c", py])).exitCode).toBe(0);
    expect((await runKiln(["import", src, "xattr-base:1"], { root: store.root })).exitCode).toBe(0);
    const dir = out.join("xattr-dir");
    const tar = out.join("xattr.tar");
    const r = await store.build("FROM xattr-base:1\nLABEL a=b\n", {}, ["-o", dir, "-o", `type=tar,dest=${tar}`]);
    expect(r.exitCode, r.stderr).toBe(0);
    const read = await capture(["python3", "-c", `import os, tarfile\nprint(os.getxattr(${JSON.stringify(`${dir}/f`)}, "user.kiln").decode(), tarfile.open(${JSON.stringify(tar)}).getmember("f").pax_headers.get("SCHILY.xattr.user.kiln"))`]);
    expect(read.stdout.trim(), read.stderr).toBe("yes yes");
  }, 60_000);

  const errors: [string, string[], RegExp][] = [
    ["an unknown type", ["-o", "type=registry"], /type=registry is not supported/],
    ["local without dest", ["-o", "type=local"], /needs dest=/],
    ["local into a file", ["-o", "type=local,dest=/etc/hostname"], /exists and is not a directory/],
    ["a missing -v host path", ["-v", "/nonexistent-kiln-vol:/mnt"], /does not exist/],
  ];
  for (const [name, args, re] of errors) {
    test(`refused before building: ${name}`, async () => {
      const r = await store.build(DOCKERFILE, {}, args);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(re);
      expect(r.stdout).not.toContain("Step 1/");
    });
  }

  test("-v rw: RUN writes reach the host dir, nothing of the mount reaches the layer; a rebuild with another -v hits the cache", async () => {
    const vol = out.join("vol-rw");
    mkdirSync(vol);
    writeFileSync(`${vol}/in`, "from-host");
    const df = "FROM alpine:3.20\nRUN cat /mnt/vol/in && echo from-run > /mnt/vol/out && touch /kept\n";
    const r = await store.build(df, {}, ["-t", "vol:rw", "-v", `${vol}:/mnt/vol`]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain("from-host");
    expect(readFileSync(`${vol}/out`, "utf8")).toBe("from-run\n");
    const files = await store.files("vol:rw");
    expect(files.has("/kept")).toBe(true);
    expect([...files.keys()].filter((p) => p.startsWith("/mnt/vol"))).toEqual([]);
    const other = out.join("vol-other");
    mkdirSync(other);
    const again = await store.build(df, {}, ["-v", `${other}:/mnt/vol`]);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stdout).toContain("Using cache");
    expect(existsSync(`${other}/out`)).toBe(false); // cached: the RUN did not run
  }, 60_000);

  test("-v ro: a write fails the RUN, reads work", async () => {
    const vol = out.join("vol-ro");
    mkdirSync(vol);
    writeFileSync(`${vol}/in`, "read-me");
    const ok = await store.build("FROM alpine:3.20\nRUN cat /ro/in\n", {}, ["-v", `${vol}:/ro:ro`]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    expect(ok.stdout).toContain("read-me");
    const bad = await store.build("FROM alpine:3.20\nRUN echo x > /ro/out\n", {}, ["-v", `${vol}:/ro:ro`]);
    expect(bad.exitCode).not.toBe(0);
    expect(bad.stdout + bad.stderr).toMatch(/Read-only file system/);
    expect(existsSync(`${vol}/out`)).toBe(false);
  }, 60_000);

  test("no mounts are left behind", () => {
    expect(readFileSync("/proc/mounts", "utf8").split("\n").filter((l) => l.includes(store.root))).toEqual([]); // this store only: other kiln tests may run at the same time
  });
});
