// Round trips with a real Docker daemon (Debian's dockerd 20.10 on a private
// socket and data root, from test/reference/dockerd.ts): kiln save → docker
// load → docker run, and docker save → kiln load.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Store } from "../../src/store/index.ts";
import { startDockerd, type Dockerd } from "../reference/dockerd.ts";
import { runKiln, tempDir, type TempDir } from "../harness.ts";
import { ALPINE, kilnOk as kiln, noAlpine } from "../lib/alpine-store.ts";

let dockerd: Dockerd | undefined;
let skip: string | undefined;
let dir: TempDir;

beforeAll(async () => {
  dir = tempDir("interop-docker");
  if (noAlpine) return;
  const d = await startDockerd({ cached: false });
  if ("skip" in d) skip = d.skip;
  else dockerd = d;
  if (skip) console.error(`skip: ${skip}`);
}, 120_000);

afterAll(async () => {
  await dockerd?.stop();
  dir?.[Symbol.dispose]();
}, 60_000);

async function docker(args: string[], stdin?: string): Promise<string> {
  const r = await dockerd!.docker(args, { stdin });
  if (r.exitCode !== 0) throw new Error(`docker ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

describe.skipIf(noAlpine)("kiln ⇄ docker", () => {
  test("kiln save → docker load → docker run", async () => {
    if (!dockerd) return console.error(`skip: ${skip}`);
    const root = dir.join("store-a");
    const id = (await kiln(["import", "-c", 'CMD ["/bin/sh"]', ALPINE, "kiln-alpine:3.20"], root)).trim();
    const archive = dir.join("kiln-alpine.tar");
    await kiln(["save", "-o", archive, "kiln-alpine:3.20"], root);
    expect(await docker(["load", "-i", archive])).toContain("Loaded image: kiln-alpine:3.20");
    // Same config bytes, so Docker computes the same image id.
    expect((await docker(["image", "inspect", "-f", "{{.Id}}", "kiln-alpine:3.20"])).trim()).toBe(id);
    expect(await docker(["run", "--rm", "--network", "host", "kiln-alpine:3.20", "cat", "/etc/alpine-release"])).toBe("3.20.3\n");
  }, 120_000);

  test("kiln save of two images, one by id only, loads in docker", async () => {
    if (!dockerd) return console.error(`skip: ${skip}`);
    const root = dir.join("store-b");
    await kiln(["import", ALPINE, "first:1"], root);
    const second = (await kiln(["import", "-c", "ENV X=1", ALPINE], root)).trim();
    const archive = dir.join("two.tar");
    await kiln(["save", "-o", archive, "first:1", second.slice(7, 19)], root);
    const out = await docker(["load", "-i", archive]);
    expect(out).toContain("Loaded image: first:1");
    expect(out).toContain(`Loaded image ID: ${second}`);
  }, 120_000);

  test("docker build → docker save → kiln load keeps ids, tags and file contents", async () => {
    if (!dockerd) return console.error(`skip: ${skip}`);
    await docker(["import", ALPINE, "base-alpine:3.20"]);
    const ctx = tempDir("docker-ctx", {
      Dockerfile: 'FROM base-alpine:3.20\nRUN echo built-by-docker > /hello && rm /etc/motd\nCMD ["cat", "/hello"]\n',
    });
    using _ctx = ctx;
    await docker(["build", "--network", "host", "-q", "-t", "from-docker:1", ctx.path]);
    const dockerId = (await docker(["image", "inspect", "-f", "{{.Id}}", "from-docker:1"])).trim();
    const archive = dir.join("from-docker.tar");
    await docker(["save", "-o", archive, "from-docker:1"]);
    const root = dir.join("store-c");
    expect(await kiln(["load", "-i", archive], root)).toBe("Loaded image: from-docker:1\n");
    expect((await kiln(["inspect", "-f", "{{.Id}} {{json .Config.Cmd}}", "from-docker:1"], root)).trim()).toBe(`${dockerId} ["cat","/hello"]`);
    using store = await Store.open({ root });
    const lowers = await store.prepareSnapshots(await store.getImage("from-docker:1"));
    expect(lowers).toHaveLength(2);
    expect(readFileSync(join(lowers[0]!, "hello"), "utf8")).toBe("built-by-docker\n");
    expect(readFileSync(join(lowers[1]!, "etc/alpine-release"), "utf8")).toBe("3.20.3\n");
    // The RUN's `rm /etc/motd` is an OCI whiteout in Docker's layer, an overlay whiteout (char 0:0) here.
    const motd = lstatSync(join(lowers[0]!, "etc/motd"));
    expect(motd.isCharacterDevice() && motd.rdev === 0).toBe(true);
  }, 180_000);

  test("docker save | kiln load from stdin, gzip-compressed", async () => {
    if (!dockerd) return console.error(`skip: ${skip}`);
    const archive = dir.join("stdin.tar");
    await docker(["save", "-o", archive, "base-alpine:3.20"]);
    const gz = Bun.gzipSync(readFileSync(archive));
    const r = await runKiln(["load"], { root: dir.join("store-d"), stdin: gz });
    expect(r).toMatchObject({ exitCode: 0, stdout: "Loaded image: base-alpine:3.20\n" });
  }, 120_000);
});
