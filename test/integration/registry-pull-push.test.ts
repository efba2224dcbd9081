// Push and pull against a real registry (Debian's docker-registry), no auth:
// digests survive the round trip, an image already here costs one HEAD,
// chunked uploads, cross-repository mounts, platform selection, mirrors.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MEDIA_TYPE_OCI_INDEX, type Digest } from "../../src/image/index.ts";
import { pullImage, pushImage, putManifest, RegistryContext, uploadBlob, type TransferEvent } from "../../src/registry/index.ts";
import { SHARED, skipReason, tempDir } from "../harness.ts";
import { DirImageStore, tarGzLayer } from "../lib/registry-image-dir.ts";
import { registryUnavailable, startRegistry, type RegistryServer } from "../lib/registry-server.ts";

const ALPINE = SHARED && join(SHARED, "images/alpine-minirootfs-3.20.3-x86_64.tar.gz");
const skip = skipReason(registryUnavailable() !== undefined || !ALPINE, registryUnavailable() ?? "shared/images/alpine minirootfs is absent");

describe.skipIf(skip)("registry push/pull (no auth)", () => {
  let reg: RegistryServer;
  const dirs = tempDir("reg-pp");
  let src: DirImageStore;
  let image: Digest;
  beforeAll(async () => {
    reg = await startRegistry();
    src = new DirImageStore(dirs.join("src"));
    image = src.makeImage([new Uint8Array(readFileSync(ALPINE!)), await tarGzLayer({ "hello.txt": "hello from kiln\n" })], { cmd: ["cat", "/hello.txt"] });
  });
  afterAll(async () => {
    await reg?.stop();
    dirs[Symbol.dispose]();
  });

  test("push then pull into an empty store gives the same digests", async () => {
    const events: TransferEvent[] = [];
    const pushed = await pushImage(src.source(image), `${reg.host}/kiln/alpine:1`, { progress: (e) => events.push(e) });
    expect(pushed.digest).toBe(image);
    expect(pushed.tag).toBe("1");
    expect(events.filter((e) => e.kind === "done").map((e) => (e as { status: string }).status).sort()).toEqual(["Pushed", "Pushed"]);

    const dst = new DirImageStore(dirs.join("dst1"));
    const pulled = await pullImage(`${reg.host}/kiln/alpine:1`, dst);
    expect(pulled.manifestDigest).toBe(image);
    expect(pulled.remoteDigest).toBe(image);
    expect(pulled.upToDate).toBe(false);
    expect(dst.blobDigests().sort()).toEqual(src.blobDigests().sort());
    for (const d of src.blobDigests()) expect(readFileSync(dst.blobPath(`sha256:${d}`))).toEqual(readFileSync(src.blobPath(`sha256:${d}`)));
  });

  test("pushing again: every blob already exists", async () => {
    const events: TransferEvent[] = [];
    await pushImage(src.source(image), `${reg.host}/kiln/alpine:1`, { progress: (e) => events.push(e) });
    expect(events.filter((e) => e.kind === "done").map((e) => (e as { status: string }).status)).toEqual(["Layer already exists", "Layer already exists"]);
  });

  test("a pull of an image already here costs one manifest request (HEAD)", async () => {
    const dst = new DirImageStore(dirs.join("dst2"));
    await pullImage(`${reg.host}/kiln/alpine:1`, dst);
    const lines: string[] = [];
    const again = await pullImage(`${reg.host}/kiln/alpine:1`, dst, { logger: { debug: (m) => lines.push(m) } });
    expect(again.upToDate).toBe(true);
    const requests = lines.filter((l) => /→ \d+/.test(l) && !l.includes(" /v2/ "));
    expect(requests.filter((l) => l.includes("/v2/kiln/alpine/"))).toEqual([expect.stringMatching(/^HEAD .*\/manifests\/1 → 200/)]);
  });

  test("blobs the sink has are not downloaded again", async () => {
    const dst = new DirImageStore(dirs.join("dst3"));
    const alpineLayer = src.source(image).manifest.layers[0]!;
    await dst.putBlob(new Uint8Array(readFileSync(src.blobPath(alpineLayer.digest))), alpineLayer);
    const events: TransferEvent[] = [];
    await pullImage(`${reg.host}/kiln/alpine:1`, dst, { progress: (e) => events.push(e) });
    expect(events.filter((e) => e.kind === "done").map((e) => (e as { status: string }).status)).toEqual(["Already exists", "Pull complete"]);
  });

  test("chunked upload (PATCH with Content-Range, then PUT ?digest=)", async () => {
    const store = new DirImageStore(dirs.join("chunked"));
    const big = crypto.getRandomValues(new Uint8Array(60_000));
    const img = store.makeImage([await tarGzLayer({ "random.bin": big })]);
    const progress: number[] = [];
    const pushed = await pushImage(store.source(img), `${reg.host}/kiln/chunked:latest`, {
      chunkSize: 16 * 1024,
      progress: (e) => e.kind === "progress" && progress.push(e.current),
    });
    expect(pushed.digest).toBe(img);
    expect(progress.length).toBeGreaterThanOrEqual(4);
    const back = new DirImageStore(dirs.join("chunked-back"));
    expect((await pullImage(`${reg.host}/kiln/chunked:latest`, back)).manifestDigest).toBe(img);
  });

  test("a blob known to be in another repository is mounted, not uploaded", async () => {
    const events: TransferEvent[] = [];
    const source = src.source(image);
    const pushed = await pushImage(source, `${reg.host}/other/copy:v1`, { progress: (e) => events.push(e) });
    expect(pushed.digest).toBe(image);
    const statuses = events.filter((e) => e.kind === "done").map((e) => (e as { status: string }).status);
    expect(statuses).toEqual(["Mounted from kiln/alpine", "Mounted from kiln/alpine"]);
  });

  test("an index without the wanted platform: a clear error listing what it has", async () => {
    const store = new DirImageStore(dirs.join("arm"));
    const arm = store.makeImage([await tarGzLayer({ "arm.txt": "arm\n" })], { architecture: "arm64" });
    const ctx = new RegistryContext();
    const repo = ctx.repositories({ domain: reg.host, path: "kiln/armonly" }, "push")[0]!;
    const src2 = store.source(arm);
    for (const d of [...src2.manifest.layers, src2.manifest.config]) await uploadBlob(repo.transport, repo.repository, d, src2.blob(d.digest));
    await putManifest(repo.transport, repo.repository, arm, src2.manifestBytes, src2.manifestMediaType);
    const index = { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests: [{ mediaType: src2.manifestMediaType, digest: arm, size: src2.manifestBytes.byteLength, platform: { os: "linux", architecture: "arm64", variant: "v8" } }] };
    await putManifest(repo.transport, repo.repository, "latest", new TextEncoder().encode(JSON.stringify(index)), MEDIA_TYPE_OCI_INDEX);

    const dst = new DirImageStore(dirs.join("arm-dst"));
    const err = await pullImage(`${reg.host}/kiln/armonly`, dst, { platform: { os: "linux", architecture: "amd64" } }).catch((e) => e);
    expect(err.code).toBe("E_PLATFORM");
    expect(err.message).toContain("no image for platform linux/amd64 (the image has: linux/arm64/v8)");
    expect(err.hint).toContain("--platform");
    expect(dst.blobDigests()).toEqual([]);
    const ok = await pullImage(`${reg.host}/kiln/armonly`, dst, { platform: { os: "linux", architecture: "arm64" } });
    expect(ok.manifestDigest).toBe(arm);
  });

  test("a missing tag: E_REGISTRY_NOT_FOUND, no such image or tag", async () => {
    const err = await pullImage(`${reg.host}/kiln/alpine:nope`, new DirImageStore(dirs.join("missing"))).catch((e) => e);
    expect(err.code).toBe("E_REGISTRY_NOT_FOUND");
    expect(err.message).toContain("no such image or tag");
  });

  test("a mirror from registries.json serves docker.io/library/alpine", async () => {
    await pushImage(src.source(image), `${reg.host}/hub/library/alpine:3.20`);
    const conf = dirs.join("registries.json");
    writeFileSync(conf, JSON.stringify({ registries: [{ prefix: "docker.io", mirrors: [{ location: `${reg.host}/hub` }] }] }));
    const dst = new DirImageStore(dirs.join("mirror"));
    const pulled = await pullImage("alpine:3.20", dst, { registriesConfig: conf });
    expect(pulled.ref).toBe("docker.io/library/alpine:3.20");
    expect(pulled.source).toBe(`${reg.host}/hub/library/alpine`);
    expect(pulled.manifestDigest).toBe(image);
  });

  test("a mirror that is down: the pull falls back to the location", async () => {
    const conf = dirs.join("registries-down.json");
    const entry = { prefix: "docker.io/library/fallback", location: `${reg.host}/hub/library/alpine`, mirrors: [{ location: "127.0.0.1:1/down" }] };
    writeFileSync(conf, JSON.stringify({ registries: [entry] }));
    const warnings: string[] = [];
    const pulled = await pullImage("fallback:3.20", new DirImageStore(dirs.join("fallback")), { registriesConfig: conf, logger: { debug: () => {}, warn: (m) => warnings.push(m) } });
    expect(pulled.source).toBe(`${reg.host}/hub/library/alpine`);
    expect(pulled.manifestDigest).toBe(image);
    expect(warnings[0]).toContain("mirror 127.0.0.1:1 failed");
  });
});
