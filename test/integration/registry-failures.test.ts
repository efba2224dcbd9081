// Failures against the real registry: a connection cut mid-blob (a TCP proxy
// that drops one connection after N bytes: kiln resumes with a Range request),
// a blob whose bytes were changed in the registry's storage (clear error, the
// store keeps nothing), an upload through a cutting proxy (retried).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync, writeFileSync } from "node:fs";
import type { Digest } from "../../src/image/index.ts";
import { pullImage, pushImage, type TransferEvent } from "../../src/registry/index.ts";
import { skipReason, tempDir } from "../harness.ts";
import { DirImageStore, tarGzLayer } from "../lib/registry-image-dir.ts";
import { registryUnavailable, startCuttingProxy, startRegistry, type RegistryServer } from "../lib/registry-server.ts";

const skip = skipReason(registryUnavailable() !== undefined, registryUnavailable() ?? "");

describe.skipIf(skip)("registry failures", () => {
  let reg: RegistryServer;
  const dirs = tempDir("reg-fail");
  let src: DirImageStore;
  let image: Digest;
  let bigLayer: { digest: Digest; size: number };
  beforeAll(async () => {
    reg = await startRegistry();
    src = new DirImageStore(dirs.join("src"));
    // Random bytes do not compress: the layer blob is ~3 MiB.
    const random = new Uint8Array(3 << 20);
    for (let o = 0; o < random.length; o += 65536) crypto.getRandomValues(random.subarray(o, o + 65536));
    image = src.makeImage([await tarGzLayer({ "random.bin": random })]);
    await pushImage(src.source(image), `${reg.host}/f/big:1`);
    bigLayer = src.source(image).manifest.layers[0]!;
  });
  afterAll(async () => {
    await reg?.stop();
    dirs[Symbol.dispose]();
  });

  test("a connection dropped mid-blob: kiln resumes and the digest checks out", async () => {
    expect(bigLayer.size).toBeGreaterThan(1 << 20);
    using proxy = startCuttingProxy({ hostname: "127.0.0.1", port: reg.port }, 1 << 20);
    const dst = new DirImageStore(dirs.join("resume"));
    const events: TransferEvent[] = [];
    const lines: string[] = [];
    const pulled = await pullImage(`${proxy.host}/f/big:1`, dst, { backoffMs: 10, progress: (e) => events.push(e), logger: { debug: (m) => lines.push(m) } });
    expect(proxy.cuts).toBe(1);
    // The second request for the layer asked for the rest only (206 Partial Content).
    expect(lines.some((l) => l.includes(`/blobs/${bigLayer.digest} → 206`))).toBe(true);
    expect(pulled.manifestDigest).toBe(image);
    expect(events.some((e) => e.kind === "retry")).toBe(true);
    expect(readFileSync(dst.blobPath(bigLayer.digest))).toEqual(readFileSync(src.blobPath(bigLayer.digest)));
  });

  test("an upload whose connection is dropped is retried and succeeds", async () => {
    // Cuts the answer stream early: the first request carrying data loses its answer.
    using proxy = startCuttingProxy({ hostname: "127.0.0.1", port: reg.port }, 300);
    const store = new DirImageStore(dirs.join("upload"));
    const img = store.makeImage([await tarGzLayer({ "u.txt": "upload retry\n" })]);
    const pushed = await pushImage(store.source(img), `${proxy.host}/f/upload:1`, { backoffMs: 10, retries: 4 });
    expect(proxy.cuts).toBe(1);
    expect(pushed.digest).toBe(img);
  });

  test("a blob changed in the registry's storage: clear error, nothing corrupt kept", async () => {
    const store = new DirImageStore(dirs.join("tamper-src"));
    const img = store.makeImage([await tarGzLayer({ "t.txt": "original content\n" })]);
    await pushImage(store.source(img), `${reg.host}/f/tamper:1`);
    const layer = store.source(img).manifest.layers[0]!;
    const path = reg.blobDataPath(layer.digest);
    const bytes = readFileSync(path);
    bytes[bytes.length - 5]! ^= 0xff;
    writeFileSync(path, bytes);
    const dst = new DirImageStore(dirs.join("tamper-dst"));
    const err = await pullImage(`${reg.host}/f/tamper:1`, dst).catch((e) => e);
    expect(err.code).toBe("E_BLOB_DIGEST_MISMATCH");
    expect(err.message).toContain(`layer ${layer.digest} failed verification`);
    expect(err.hint).toContain("kept nothing");
    expect(dst.hasBlob(layer.digest)).toBe(false);
    expect(dst.pulledImages.size).toBe(0);
  });
});
