import { beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hasCommand, kilnExe, runKiln, tempDir, type TempDir } from "../harness.ts";
import { Store } from "../../src/store/index.ts";
import { ALPINE, importAlpine, kilnOk as ok, noAlpine } from "../lib/alpine-store.ts";

const ID_RE = /^sha256:[a-f0-9]{64}\n$/;

describe.skipIf(noAlpine)("kiln import / images / inspect / history / tag / rmi", () => {
  let dir: TempDir;
  let root: string;
  let id: string;
  beforeAll(async () => {
    dir = tempDir("e2e-images");
    root = dir.join("store");
    const out = await ok(["import", "--change", 'CMD ["/bin/sh"]', "-c", "ENV A=1 B='x y'", "-c", "WORKDIR /srv", "-c", "EXPOSE 80", "-m", "hello", ALPINE, "alpine:3.20"], root);
    expect(out).toMatch(ID_RE);
    id = out.trim();
    return () => dir[Symbol.dispose]();
  });

  test("images prints Docker's table", async () => {
    const out = await ok(["images"], root);
    const [header, row, ...rest] = out.trimEnd().split("\n");
    expect(header).toMatch(/^REPOSITORY {3}TAG {7}IMAGE ID {7}CREATED +SIZE$/);
    expect(row).toMatch(new RegExp(`^alpine {7}3\\.20 {6}${id.slice(7, 19)} {3}(Less than a second|\\d+ seconds) ago +8\\.09MB$`));
    expect(rest).toEqual([]);
  });

  const formats: [string, string[], (out: string) => void][] = [
    ["-q prints short ids", ["images", "-q"], (o) => expect(o).toBe(`${id.slice(7, 19)}\n`)],
    ["--no-trunc -q prints full ids", ["images", "-q", "--no-trunc"], (o) => expect(o).toBe(`${id}\n`)],
    ["a Go template", ["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}} {{.Size}}"], (o) => expect(o).toBe(`alpine:3.20 ${id.slice(7, 19)} 8.09MB\n`)],
    ["a table template", ["images", "--format", "table {{.Repository}}\\t{{.Tag}}"], (o) => expect(o).toBe("REPOSITORY   TAG\nalpine       3.20\n")],
    ["json lines", ["images", "--format", "json"], (o) => expect(JSON.parse(o)).toMatchObject({ Repository: "alpine", Tag: "3.20", ID: id.slice(7, 19), Size: "8.09MB" })],
    // Registry digests only (pull, push: test/integration/registry-repo-digests.test.ts); an imported image has none, as in Docker.
    ["--digests adds the DIGEST column", ["images", "--digests"], (o) => expect(o).toMatch(/REPOSITORY +TAG +DIGEST +IMAGE ID[\s\S]*alpine +3\.20 +<none> +[a-f0-9]{12} /)],
    ["a repository filter that matches", ["images", "alpine"], (o) => expect(o).toContain("alpine ")],
    ["a repository filter that does not", ["images", "busybox"], (o) => expect(o.trim().split("\n")).toHaveLength(1)],
    ["a tag filter", ["images", "alpine:3.*", "-q"], (o) => expect(o).toBe(`${id.slice(7, 19)}\n`)],
  ];
  for (const [name, args, check] of formats) test(`images: ${name}`, async () => check(await ok(args, root)));

  test("inspect prints a Docker-shaped JSON array", async () => {
    const [img, ...more] = JSON.parse(await ok(["inspect", "alpine:3.20"], root));
    expect(more).toEqual([]);
    expect(img).toMatchObject({
      Id: id,
      RepoTags: ["alpine:3.20"],
      Comment: "hello",
      Architecture: "amd64",
      Os: "linux",
      Config: { Cmd: ["/bin/sh"], Env: ["A=1", "B=x y"], WorkingDir: "/srv", ExposedPorts: { "80/tcp": {} }, Entrypoint: null },
      RootFS: { Type: "layers", Layers: [expect.stringMatching(/^sha256:/)] },
    });
    expect(img.RepoDigests).toEqual([]);
  });

  const names: [string, (id: string) => string][] = [
    ["short id", (i) => i.slice(7, 19)],
    ["full id", (i) => i],
    ["id prefix with sha256:", (i) => i.slice(0, 12)],
    ["canonical reference", () => "docker.io/library/alpine:3.20"],
  ];
  for (const [name, pick] of names) {
    test(`inspect -f finds the image by ${name}`, async () => {
      expect(await ok(["inspect", "-f", "{{.Id}} {{.Config.Cmd}} {{json .Config.Env}}", pick(id)], root)).toBe(`${id} [/bin/sh] ["A=1","B=x y"]\n`);
    });
  }

  test("inspect of a missing image prints [] and fails", async () => {
    const r = await runKiln(["inspect", "nope"], { root });
    expect(r.exitCode).toBe(1);
    expect(r.stdout).toBe("[]\n");
    expect(r.stderr).toContain("Error: No such image: nope");
  });

  test("history prints Docker's columns", async () => {
    const out = await ok(["history", "alpine:3.20"], root);
    expect(out).toMatch(new RegExp(`^IMAGE {10}CREATED +CREATED BY +SIZE +COMMENT\n${id.slice(7, 19)} {3}.* ago +8\\.09MB +hello\n$`));
    expect(await ok(["history", "-q", "alpine:3.20"], root)).toBe(`${id.slice(7, 19)}\n`);
  });

  // docker/cli: CreatedAt is RFC 3339 in whole seconds; --human=false shows it in CREATED, and bytes in SIZE.
  const rfc3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
  const historyRows: [string, string[], (fields: string[]) => void][] = [
    ["CreatedAt", ["--format", "{{.CreatedAt}}"], ([at]) => expect(at).toMatch(rfc3339)],
    ["--human=false", ["--human=false", "--format", "{{.CreatedSince}}|{{.Size}}"], ([since, size]) => {
      expect(since).toMatch(rfc3339);
      expect(size).toBe("8089600");
    }],
  ];
  for (const [name, args, check] of historyRows) {
    test(`history: ${name}`, async () => check((await ok(["history", ...args, "alpine:3.20"], root)).trim().split("|")));
  }

  test("tag then rmi: untag while other tags remain, delete with the last", async () => {
    await ok(["tag", "alpine:3.20", "registry.example:5000/team/app:v1"], root);
    await ok(["tag", id.slice(7, 15), "app"], root);
    expect(await ok(["images", "--format", "{{.Repository}}:{{.Tag}}"], root)).toBe("alpine:3.20\napp:latest\nregistry.example:5000/team/app:v1\n");
    expect(await ok(["rmi", "app"], root)).toBe("Untagged: app:latest\n");
    const conflict = await runKiln(["rmi", id.slice(7, 19)], { root });
    expect(conflict.exitCode).toBe(1);
    expect(conflict.stderr).toContain(`conflict: unable to delete ${id.slice(7, 19)} (must be forced) - image is referenced in multiple repositories`);
    expect(await ok(["rmi", "registry.example:5000/team/app:v1"], root)).toBe("Untagged: registry.example:5000/team/app:v1\n");
  });

  const errors: [string, string[], RegExp][] = [
    ["import of a missing file", ["import", "/nonexistent.tar", "x"], /open \/nonexistent\.tar: no such file or directory/],
    ["import with a bad --change", ["import", "-c", "RUN true", "-", "x"], /RUN is not a valid change command/],
    ["tag of an unknown image", ["tag", "nope", "x"], /No such image: nope/],
    ["tag to a digest", ["tag", "alpine:3.20", `x@sha256:${"a".repeat(64)}`], /refusing to create a tag with a digest reference/],
    ["rmi of an unknown image", ["rmi", "nope"], /No such image: nope/],
    ["history of an unknown image", ["history", "nope"], /No such image: nope/],
  ];
  for (const [name, args, re] of errors) {
    test(`${name} is a one-line error`, async () => {
      const r = await runKiln(args, { root });
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    });
  }
});

describe.skipIf(noAlpine)("kiln import reads every compression, from a file or stdin", () => {
  const variants: [string, string[] | undefined][] = [
    ["gzip file", undefined],
    ["plain tar on stdin", ["gzip", "-dc"]],
    ["xz on stdin", ["sh", "-c", "gzip -dc | xz -1"]],
    ["zstd on stdin", ["sh", "-c", "gzip -dc | zstd -q"]],
    ["bzip2 on stdin", ["sh", "-c", "gzip -dc | bzip2 -1"]],
  ];
  let diffId: string | undefined;
  for (const [name, convert] of variants) {
    test(`${name} gives the same layer diff id`, async () => {
      using dir = tempDir("e2e-import");
      let args = ["import", ALPINE, "x"];
      let stdin: Uint8Array | undefined;
      if (convert) {
        const p = Bun.spawnSync(convert, { stdin: Bun.file(ALPINE), stdout: "pipe" });
        stdin = p.stdout;
        args = ["import", "-", "x"];
      }
      await ok(args, dir.path, stdin);
      const layers = (await ok(["inspect", "-f", "{{json .RootFS.Layers}}", "x"], dir.path)).trim();
      diffId ??= layers;
      expect(layers).toBe(diffId);
    });
  }
});

describe.skipIf(noAlpine)("kiln save | kiln load round trips", () => {
  const formats: [string, string[]][] = [
    ["docker-archive", []],
    ["oci-archive", ["--format", "oci-archive"]],
  ];
  for (const [name, flags] of formats) {
    test(`${name}: ids, tags and config survive; a second load reports the retag`, async () => {
      using dir = tempDir("e2e-saveload");
      const a = dir.join("a");
      const id = (await ok(["import", "-c", "USER nobody", ALPINE, "app:1"], a)).trim();
      await ok(["tag", "app:1", "app:2"], a);
      const archive = dir.join("x.tar");
      await ok(["save", ...flags, "-o", archive, "app"], a); // a repository without tag: all its tags
      const b = dir.join("b");
      expect(await ok(["load", "-i", archive], b)).toBe("Loaded image: app:1\nLoaded image: app:2\n");
      expect(await ok(["inspect", "-f", "{{.Id}} {{.Config.User}} {{join .RepoTags \",\"}}", "app:2"], b)).toBe(`${id} nobody app:1,app:2\n`);
      // Loading over a tag held by another image moves the tag, as docker load says.
      await ok(["import", ALPINE, "app:1"], b);
      const again = await ok(["load", "-i", archive], b);
      expect(again).toMatch(/^The image app:1 already exists, renaming the old one with ID sha256:[a-f0-9]{64} to empty string\nLoaded image: app:1\nLoaded image: app:2\n$/);
    });
  }

  test("a Docker 25+ (containerd image store) archive: compressed blobs, manifest.json and index.json", async () => {
    using dir = tempDir("e2e-saveload");
    const id = (await ok(["import", "-c", 'CMD ["/bin/sh"]', ALPINE, "c25:1"], dir.join("a"))).trim();
    await ok(["save", "--format", "oci-archive", "-o", dir.join("oci.tar"), "c25:1"], dir.join("a"));
    const layout = dir.join("layout");
    mkdirSync(layout);
    Bun.spawnSync(["tar", "-C", layout, "-xf", dir.join("oci.tar")]);
    const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
    const manifest = JSON.parse(readFileSync(join(layout, "blobs/sha256", index.manifests[0].digest.slice(7)), "utf8"));
    // What docker save writes with the containerd store: the original (gzip) blobs, named in manifest.json.
    const blobPath = (d: string) => `blobs/sha256/${d.slice(7)}`;
    writeFileSync(join(layout, "manifest.json"), JSON.stringify([{ Config: blobPath(manifest.config.digest), RepoTags: ["c25:1"], Layers: manifest.layers.map((l: { digest: string }) => blobPath(l.digest)) }]));
    index.manifests[0].annotations = { "io.containerd.image.name": "docker.io/library/c25:1", "org.opencontainers.image.ref.name": "1" };
    writeFileSync(join(layout, "index.json"), JSON.stringify(index));
    Bun.spawnSync(["tar", "-C", layout, "-cf", dir.join("docker25.tar"), "."]);
    expect(await ok(["load", "-i", dir.join("docker25.tar")], dir.join("b"))).toBe("Loaded image: c25:1\n");
    expect(await ok(["inspect", "-f", "{{.Id}} {{.Config.Cmd}}", "c25:1"], dir.join("b"))).toBe(`${id} [/bin/sh]\n`);
  });

  test("save to stdout, load from stdin", async () => {
    using dir = tempDir("e2e-saveload");
    const id = (await ok(["import", ALPINE, "piped"], dir.join("a"))).trim();
    const p = Bun.spawnSync(["sh", "-c", `"$0" save piped | KILN_ROOT="$1" "$0" load`, kilnExe(), dir.join("b")], { env: { ...process.env, KILN_ROOT: dir.join("a") } });
    expect(p.stdout.toString()).toBe("Loaded image: piped:latest\n");
    expect(await ok(["images", "-q", "--no-trunc"], dir.join("b"))).toBe(`${id}\n`);
  });

  test.skipIf(!hasCommand("script"))("save refuses to write a tar to a terminal", async () => {
    using dir = tempDir("e2e-saveload");
    await ok(["import", ALPINE, "tty"], dir.path);
    // util-linux `script` gives the command a pseudo-terminal as stdout.
    const p = Bun.spawnSync(["script", "-qec", `"${kilnExe()}" save tty; echo "exit=$?"`, "/dev/null"], { env: { ...process.env, KILN_ROOT: dir.path }, stdout: "pipe" });
    const out = p.stdout.toString();
    expect(out).toContain("cowardly refusing to save to a terminal. Use the -o flag or redirect");
    expect(out).toContain("exit=2");
  });

  test("load of something that is not an image archive is a clear error", async () => {
    using dir = tempDir("e2e-saveload");
    const r = await runKiln(["load"], { root: dir.path, stdin: new TextEncoder().encode("definitely not a tar") });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/^Error: (the archive is not a readable tar|invalid image archive)/);
  });
});

describe.skipIf(noAlpine)("kiln history of a built image", () => {
  test("ids follow the parent chain; entries below the oldest known image are <missing>", async () => {
    using dir = tempDir("e2e-history");
    const ids: string[] = [];
    {
      using store = await Store.open({ root: dir.path });
      const imported = await importAlpine(store);
      const layers = imported.manifest.layers.map((descriptor, i) => ({ descriptor, diffId: imported.diffIds[i]! }));
      // A base image as pulled: two history entries, no parent known here.
      const baseConfig = structuredClone(imported.config);
      baseConfig.history = [...(baseConfig.history ?? []), { created: "2024-01-01T00:00:00Z", created_by: '/bin/sh -c #(nop)  CMD ["/bin/sh"]', empty_layer: true }];
      let parent = await store.commitImage({ config: baseConfig, layers, tags: ["base"] });
      ids.push(parent.id);
      for (const step of ["ENV A=1", 'CMD ["sh"]']) {
        const config = structuredClone(parent.config);
        config.history = [...(config.history ?? []), { created: "2024-01-01T00:00:00Z", created_by: `/bin/sh -c #(nop) ${step} with a long tail to truncate`, empty_layer: true }];
        parent = await store.commitImage({ config, layers, parent: parent.id });
        ids.push(parent.id);
      }
      await store.tag(parent.id, "built");
    }
    const lines = (await ok(["history", "built"], dir.path)).trimEnd().split("\n");
    expect(lines[0]).toMatch(/^IMAGE {10}CREATED +CREATED BY {38}SIZE {6}COMMENT$/);
    expect(lines[1]).toMatch(new RegExp(`^${ids[2]!.slice(7, 19)} {3}\\S.* ago +/bin/sh -c #\\(nop\\) CMD \\["sh"\\] with a long tai… +0B +$`));
    expect(lines[2]).toMatch(new RegExp(`^${ids[1]!.slice(7, 19)} {3}.*ENV A=1.* 0B`));
    expect(lines[3]).toMatch(new RegExp(`^${ids[0]!.slice(7, 19)} {3}.*CMD \\["/bin/sh"\\] +0B`));
    expect(lines[4]).toMatch(/^<missing> {6}.* 8\.09MB +Imported from -$/);
    expect(lines).toHaveLength(5);
    expect(await ok(["history", "-q", "--no-trunc", "built"], dir.path)).toBe(`${ids[2]}\n${ids[1]}\n${ids[0]}\n<missing>\n`);
  });
});
