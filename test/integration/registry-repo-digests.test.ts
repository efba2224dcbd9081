// RepoDigests against the real registry, through the compiled binary: after a
// push or a pull, `kiln inspect` and `kiln images --digests` show the digest
// the registry gave (skopeo agrees), an index's digest for an image pulled
// through an index (not the platform manifest's), and nothing for an image
// that never met a registry, as Docker does. rmi says the digest goes too.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { hostPlatform, MEDIA_TYPE_OCI_INDEX, type Digest } from "../../src/image/index.ts";
import { putManifest, RegistryContext, uploadBlob } from "../../src/registry/index.ts";
import { hasCommand, runKiln, SHARED, skipReason, tempDir } from "../harness.ts";
import { DirImageStore, tarGzLayer } from "../lib/registry-image-dir.ts";
import { registryUnavailable, startRegistry, type RegistryServer } from "../lib/registry-server.ts";

const ALPINE = SHARED && join(SHARED, "images/alpine-minirootfs-3.20.3-x86_64.tar.gz");
const skip = skipReason(registryUnavailable() !== undefined || !ALPINE, registryUnavailable() ?? "shared/images/alpine minirootfs is absent");
const noSkopeo = skipReason(!hasCommand("skopeo"), "skopeo is not installed");

describe.skipIf(skip)("RepoDigests after push and pull", () => {
  let reg: RegistryServer;
  const dirs = tempDir("repo-digests");
  const env = { HOME: dirs.path };
  const root = dirs.join("store");
  let pushed: Digest;
  let indexDigest: Digest;
  let platformDigest: Digest;

  async function kiln(args: string[], store = root): Promise<string> {
    const r = await runKiln(args, { root: store, env });
    if (r.exitCode !== 0) throw new Error(`kiln ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
  }
  const repoDigests = async (image: string, store = root): Promise<string[]> => JSON.parse(await kiln(["inspect", "-f", "{{json .RepoDigests}}", image], store));

  beforeAll(async () => {
    reg = await startRegistry();
    await kiln(["import", ALPINE!, "alpine:3.20"]);
    await kiln(["tag", "alpine:3.20", `${reg.host}/kiln/alp:1`]);
    pushed = (await kiln(["push", "-q", `${reg.host}/kiln/alp:1`])).trim() as Digest;
    // A one-platform index for this host, as multi-platform images are published.
    const src = new DirImageStore(dirs.join("seed"));
    const image = src.makeImage([await tarGzLayer({ "i.txt": "from an index\n" })], { architecture: hostPlatform().architecture });
    const repo = new RegistryContext().repositories({ domain: reg.host, path: "kiln/multi" }, "push")[0]!;
    const s = src.source(image);
    for (const d of [...s.manifest.layers, s.manifest.config]) await uploadBlob(repo.transport, repo.repository, d, s.blob(d.digest));
    platformDigest = await putManifest(repo.transport, repo.repository, image, s.manifestBytes, s.manifestMediaType);
    const index = { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests: [{ mediaType: s.manifestMediaType, digest: image, size: s.manifestBytes.byteLength, platform: { os: "linux", architecture: hostPlatform().architecture } }] };
    indexDigest = await putManifest(repo.transport, repo.repository, "1", new TextEncoder().encode(JSON.stringify(index)), MEDIA_TYPE_OCI_INDEX);
  });
  afterAll(async () => {
    await reg?.stop();
    dirs[Symbol.dispose]();
  });

  const cases: [string, () => Promise<void>][] = [
    ["an image that never met a registry has none", async () => {
      await kiln(["import", ALPINE!, "local:1"]);
      expect(await repoDigests("local:1")).toEqual([]);
      expect(await kiln(["images", "--format", "{{.Repository}} {{.Digest}}", "local"])).toBe("local <none>\n");
    }],
    ["push: inspect shows the pushed digest under the pushed repository only", async () => {
      expect(pushed).toMatch(/^sha256:[a-f0-9]{64}$/);
      expect(await repoDigests("alpine:3.20")).toEqual([`${reg.host}/kiln/alp@${pushed}`]);
    }],
    ["push: images --digests shows it on the pushed repository's row", async () => {
      const rows = (await kiln(["images", "--digests", "--format", "{{.Repository}}:{{.Tag}} {{.Digest}}"])).trim().split("\n").sort();
      expect(rows).toEqual([`${reg.host}/kiln/alp:1 ${pushed}`, "alpine:3.20 <none>", "local:1 <none>"].sort());
    }],
    ["push to a destination that is not a tag: a digest-only row", async () => {
      const again = (await kiln(["push", "-q", "alpine:3.20", `${reg.host}/kiln/other:2`])).trim();
      expect(again).toBe(pushed);
      expect(await repoDigests("alpine:3.20")).toEqual([`${reg.host}/kiln/alp@${pushed}`, `${reg.host}/kiln/other@${pushed}`]);
      expect(await kiln(["images", "--format", "{{.Repository}} {{.Tag}} {{.Digest}}", `${reg.host}/kiln/other`])).toBe(`${reg.host}/kiln/other <none> ${pushed}\n`);
    }],
    ["pull into an empty store shows the same digest", async () => {
      const empty = dirs.join("empty");
      await kiln(["pull", "-q", `${reg.host}/kiln/alp:1`], empty);
      expect(await repoDigests(`${reg.host}/kiln/alp:1`, empty)).toEqual([`${reg.host}/kiln/alp@${pushed}`]);
      expect(await kiln(["images", "--digests", "--format", "{{.Digest}}"], empty)).toBe(`${pushed}\n`);
    }],
    ["pull through an index: the index's digest, as the registry names it", async () => {
      const store = dirs.join("multi");
      await kiln(["pull", "-q", `${reg.host}/kiln/multi:1`], store);
      expect(indexDigest).not.toBe(platformDigest);
      expect(await repoDigests(`${reg.host}/kiln/multi:1`, store)).toEqual([`${reg.host}/kiln/multi@${indexDigest}`]);
      // A store from before kiln kept them: an up-to-date pull (one HEAD) records it.
      using db = new Database(join(store, "kiln.db"));
      db.exec("DELETE FROM repo_digests");
      expect(await repoDigests(`${reg.host}/kiln/multi:1`, store)).toEqual([]);
      await kiln(["pull", "-q", `${reg.host}/kiln/multi:1`], store);
      expect(await repoDigests(`${reg.host}/kiln/multi:1`, store)).toEqual([`${reg.host}/kiln/multi@${indexDigest}`]);
      // The index digest names the image, also once no tag points at the index any more.
      await kiln(["tag", `${reg.host}/kiln/multi:1`, "kept:1"], store);
      await kiln(["rmi", `${reg.host}/kiln/multi:1`], store);
      const id = (await kiln(["inspect", "-f", "{{.Id}}", "kept:1"], store)).trim();
      expect((await kiln(["inspect", "-f", "{{.Id}}", `${reg.host}/kiln/multi@${indexDigest}`], store)).trim()).toBe(id);
    }],
    ["rmi of the image says its digests go too", async () => {
      const store = dirs.join("rmi");
      await kiln(["pull", "-q", `${reg.host}/kiln/alp:1`], store);
      expect(await kiln(["rmi", `${reg.host}/kiln/alp:1`], store)).toMatch(new RegExp(`^Untagged: ${reg.host}/kiln/alp:1\nUntagged: ${reg.host}/kiln/alp@${pushed}\nDeleted: sha256:[a-f0-9]{64}\n$`));
    }],
  ];
  for (const [name, run] of cases) test(name, run);

  test.skipIf(noSkopeo)("skopeo inspect docker://… agrees with kiln inspect", async () => {
    const p = Bun.spawnSync(["skopeo", "inspect", "--tls-verify=false", `docker://${reg.host}/kiln/alp:1`], { stderr: "pipe", env: { ...process.env, HOME: dirs.path } });
    expect(p.exitCode).toBe(0);
    expect(`${reg.host}/kiln/alp@${JSON.parse(p.stdout.toString()).Digest}`).toBe((await repoDigests("alpine:3.20"))[0]!);
  });
});
