// The store is a plain OCI image layout: skopeo and umoci read it (and write
// to it) directly, and kiln sees what they write.
import { beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { capture } from "../../src/util/spawn.ts";
import { hasCommand, skipReason, tempDir, type TempDir } from "../harness.ts";
import { ALPINE, kilnOk as kiln, noAlpine } from "../lib/alpine-store.ts";

const noSkopeo = skipReason(!hasCommand("skopeo"), "skopeo is not installed");
const noUmoci = skipReason(!hasCommand("umoci"), "umoci is not installed");
const REF = "docker.io/library/alpine:3.20";

/** The manifest digest index.json gives the one tag of a store (what skopeo and umoci see). */
function layoutDigest(store: string): string {
  const index = JSON.parse(readFileSync(join(store, "index.json"), "utf8")) as { manifests: { digest: string }[] };
  expect(index.manifests).toHaveLength(1);
  return index.manifests[0]!.digest;
}

async function ok(argv: string[]): Promise<string> {
  const r = await capture(argv);
  if (r.exitCode !== 0) throw new Error(`${argv.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

describe.skipIf(noAlpine)("other OCI tools on the kiln store", () => {
  let dir: TempDir;
  let root: string;
  let manifestDigest: string;
  beforeAll(async () => {
    dir = tempDir("interop-oci");
    root = dir.join("store");
    await kiln(["import", "-c", 'CMD ["/bin/sh"]', ALPINE, "alpine:3.20"], root);
    manifestDigest = layoutDigest(root);
    return () => dir[Symbol.dispose]();
  });

  test.skipIf(noSkopeo)("skopeo inspect oci:STORE:REF reads the image", async () => {
    const info = JSON.parse(await ok(["skopeo", "inspect", `oci:${root}:${REF}`]));
    expect(info).toMatchObject({ Digest: manifestDigest, Architecture: "amd64", Os: "linux" });
    expect(info.Layers).toHaveLength(1);
    const config = JSON.parse(await ok(["skopeo", "inspect", "--config", `oci:${root}:${REF}`]));
    expect(config.config.Cmd).toEqual(["/bin/sh"]);
  });

  test.skipIf(noUmoci)("umoci ls lists the tag and umoci unpack extracts it", async () => {
    expect(await ok(["umoci", "ls", "--layout", root])).toBe(`${REF}\n`);
    const bundle = dir.join("bundle");
    await ok(["umoci", "unpack", "--image", `${root}:${REF}`, bundle]);
    expect(readFileSync(join(bundle, "rootfs/etc/alpine-release"), "utf8")).toBe("3.20.3\n");
  });

  test.skipIf(noSkopeo)("an image skopeo copies into the store is listed and usable by kiln", async () => {
    await ok(["skopeo", "copy", "-q", `oci:${root}:${REF}`, `oci:${root}:docker.io/library/copied:1`]);
    expect(await kiln(["images", "--format", "{{.Repository}}:{{.Tag}}"], root)).toBe("alpine:3.20\ncopied:1\n");
    expect(await kiln(["tag", "copied:1", "copied:2"], root)).toBe("");
    expect(await kiln(["rmi", "copied:1"], root)).toBe("Untagged: copied:1\n");
  });

  test.skipIf(noSkopeo)("kiln save --format oci-archive is readable by skopeo", async () => {
    const archive = dir.join("oci.tar");
    await kiln(["save", "--format", "oci-archive", "-o", archive, "alpine:3.20"], root);
    const info = JSON.parse(await ok(["skopeo", "inspect", `oci-archive:${archive}:${REF}`]));
    expect(info.Digest).toBe(manifestDigest);
  });

  test.skipIf(noSkopeo)("kiln save (docker-archive) is readable by skopeo as docker-archive and as OCI", async () => {
    const archive = dir.join("docker.tar");
    await kiln(["save", "-o", archive, "alpine:3.20"], root);
    const viaDocker = JSON.parse(await ok(["skopeo", "inspect", `docker-archive:${archive}`]));
    expect(viaDocker.Os).toBe("linux");
    expect(viaDocker.Layers).toHaveLength(1);
    const config = JSON.parse(await ok(["skopeo", "inspect", "--config", `docker-archive:${archive}`]));
    expect(config.config.Cmd).toEqual(["/bin/sh"]);
  });

  test.skipIf(noSkopeo)("an OCI archive written by skopeo loads into kiln", async () => {
    const archive = dir.join("from-skopeo.tar");
    await ok(["skopeo", "copy", "-q", `oci:${root}:${REF}`, `oci-archive:${archive}:docker.io/library/from-skopeo:7`]);
    const other = dir.join("store2");
    expect(await kiln(["load", "-i", archive], other)).toBe("Loaded image: from-skopeo:7\n");
    expect(layoutDigest(other)).toBe(manifestDigest);
  });
});
