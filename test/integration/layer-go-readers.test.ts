// Layers kiln writes, read by the Go tooling of the Docker/OCI world: umoci
// (Go's archive/tar and compress/gzip, the readers Docker and containerd use)
// unpacks an OCI layout holding kiln's layer (zstd: after skopeo, with Go's
// klauspost zstd reader, recompressed it), and the result must equal the
// tree kiln diffed: long and non-ASCII names (PAX), hard links, devices,
// setuid bits, security.capability, big incompressible files (stored deflate
// blocks in the parallel gzip stream).
import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { diffUpperDir, encodeLayer, type LayerCompression } from "../../src/layer/index.ts";
import { sha256 } from "../../src/util/digest.ts";
import { hasCommand, isRoot, skipReason, tempDir } from "../harness.ts";
import { collect } from "../unit/layer/_tar.ts";
import { buildTree, flattenTree, type Node } from "../unit/layer/_tree.ts";

const noUmoci = skipReason(!isRoot || !hasCommand("umoci"), "needs umoci and root (devices, owners, security.capability)");
const cap = new Uint8Array([0, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

const tree: Node[] = [
  { path: "bin/su", kind: "file", content: "su", mode: 0o4755 },
  { path: "bin/ping", kind: "file", content: "ping", xattrs: { "security.capability": cap } },
  { path: "bin/ping-hard", kind: "link", target: "bin/ping" },
  { path: "usr/share/doc/données-été.txt", kind: "file", content: "é" },
  { path: `usr/${"long-directory-name/".repeat(8)}file-with-a-long-name.txt`, kind: "file", content: "long" },
  { path: "usr/lib/libx.so", kind: "symlink", target: `/usr/${"long-directory-name/".repeat(6)}target` },
  { path: "dev/null", kind: "char", major: 1, minor: 3, mode: 0o666 },
  { path: "run/fifo", kind: "fifo", mode: 0o600 },
  { path: "srv", kind: "dir", mode: 0o750, uid: 33, gid: 33 },
  { path: "srv/data", kind: "file", content: "d", uid: 1000, gid: 1000 },
  { path: "tmp", kind: "dir", mode: 0o1777 },
  { path: "empty", kind: "dir" },
  { path: "big/noise.bin", kind: "file" },
  { path: "big/text.txt", kind: "file" },
];

/** Write a one-layer OCI image layout around `blob` and return its path. */
function writeLayout(dir: string, blob: Uint8Array, mediaType: string, diffId: string): string {
  const layout = join(dir, "layout");
  mkdirSync(join(layout, "blobs/sha256"), { recursive: true });
  const put = (data: Uint8Array | string) => {
    const digest = sha256(data);
    writeFileSync(join(layout, "blobs/sha256", digest.slice(7)), data);
    return { digest, size: typeof data === "string" ? Buffer.byteLength(data) : data.length };
  };
  const layer = put(blob);
  const config = put(JSON.stringify({ architecture: "amd64", os: "linux", config: {}, rootfs: { type: "layers", diff_ids: [diffId] } }));
  const manifest = put(
    JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json", config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config }, layers: [{ mediaType, ...layer }] }),
  );
  writeFileSync(join(layout, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(join(layout, "index.json"), JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest, annotations: { "org.opencontainers.image.ref.name": "test" } }] }));
  return layout;
}

describe.skipIf(noUmoci)("kiln layers unpacked by umoci (Go readers)", () => {
  const compressions: LayerCompression[] = ["gzip", "zstd", "none"];
  test.each(compressions)("%s layer unpacks to the same tree", async (compression) => {
    using d = tempDir("go-readers");
    buildTree(d.join("src"), tree);
    const noise = new Uint8Array(3 * 1024 * 1024 + 5);
    for (let i = 0; i < noise.length; i += 65536) crypto.getRandomValues(noise.subarray(i, i + 65536));
    writeFileSync(d.join("src/big/noise.bin"), noise);
    writeFileSync(d.join("src/big/text.txt"), "some compressible text\n".repeat(100_000));
    const enc = encodeLayer(diffUpperDir(d.join("src"), { lowerDirs: [], xattrNamespace: "trusted" }), compression);
    const blob = await collect(enc.stream);
    const { diffId } = await enc.done;
    let layout = writeLayout(d.path, blob, enc.mediaType, diffId);
    if (compression === "zstd") {
      // umoci 0.4 cannot read zstd; skopeo (klauspost/compress zstd) recompresses it to gzip.
      if (!hasCommand("skopeo")) return void console.error("skip: zstd case needs skopeo");
      const c = Bun.spawnSync(["skopeo", "copy", "--dest-compress-format", "gzip", "--dest-compress", `oci:${layout}:test`, `oci:${d.join("regz")}:test`], { stderr: "pipe" });
      expect(c.stderr.toString()).toBe("");
      layout = d.join("regz");
    }
    const r = Bun.spawnSync(["umoci", "unpack", "--image", `${layout}:test`, d.join("bundle")], { stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    expect(r.exitCode).toBe(0);
    const want = flattenTree(d.join("src"), { mtime: true });
    const got = flattenTree(d.join("bundle/rootfs"), { mtime: true });
    expect(got).toEqual(want);
  });
});
