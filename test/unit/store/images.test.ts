import { describe, expect, test } from "bun:test";
import { imageIdOf, serializeConfig } from "../../../src/image/index.ts";
import { ImageCatalog } from "../../../src/store/images.ts";
import { removeRef, setRef } from "../../../src/store/layout.ts";
import { testCatalog } from "./_catalog.ts";

describe("ImageCatalog", () => {
  test("commit writes config and manifest blobs; the id is the config digest", async () => {
    using c = testCatalog();
    const id = await c.make("a", { tags: ["alpine:3.20"] });
    const rec = await c.images.get("alpine:3.20");
    expect(rec.id).toBe(id);
    expect(imageIdOf(serializeConfig(rec.config))).toBe(id);
    expect(c.blobs.has(rec.manifestDigest)).toBe(true);
    expect(rec.names).toEqual(["docker.io/library/alpine:3.20"]);
    expect(rec.size).toBe(1000);
    expect(rec.chainIds).toEqual(rec.diffIds);
    expect(c.layout.refs().map((r) => r.ref)).toEqual(["docker.io/library/alpine:3.20"]);
  });

  test("configBytes are stored exactly, and give the id", async () => {
    using c = testCatalog();
    const bytes = '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"config":{"Env":["A=\\u003cb\\u003e"]}}';
    const rec = await c.images.commit({ config: JSON.parse(bytes), configBytes: bytes, layers: [] });
    expect(rec.id).toBe(imageIdOf(bytes));
    expect(new TextDecoder().decode(await c.blobs.read(rec.manifest.config.digest))).toBe(bytes);
  });

  test("commit refuses layers that are not in the store", async () => {
    using c = testCatalog();
    const missing = `sha256:${"0".repeat(64)}` as const;
    await expect(
      c.images.commit({
        config: { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [missing] } },
        layers: [{ descriptor: { mediaType: "x", digest: missing, size: 1 }, diffId: missing }],
      }),
    ).rejects.toMatchObject({ code: "E_BLOB_NOT_FOUND" });
  });

  test("tag adds a name, and moving a tag leaves the old image untagged (not lost)", async () => {
    using c = testCatalog();
    const a = await c.make("a", { tags: ["app"] });
    const b = await c.make("b");
    await c.images.tag(a, "app:v1");
    expect((await c.images.get(a)).names).toEqual(["docker.io/library/app:latest", "docker.io/library/app:v1"]);
    await c.images.tag(b, "app");
    expect((await c.images.get("app")).id).toBe(b);
    expect((await c.images.get(a)).names).toEqual(["docker.io/library/app:v1"]);
    await c.images.untag("app:v1");
    expect((await c.images.get(a)).names).toEqual([]);
    expect((await c.images.list()).map((r) => r.id).sort()).toEqual([a, b].sort());
  });

  test("tag refuses a digest reference and unknown sources", async () => {
    using c = testCatalog();
    const a = await c.make("a");
    await expect(c.images.tag(a, `x@sha256:${"1".repeat(64)}`)).rejects.toThrow(/digest reference/);
    await expect(c.images.tag("nope", "x")).rejects.toMatchObject({ code: "E_IMAGE_NOT_FOUND" });
    await expect(c.images.untag("nope")).rejects.toMatchObject({ code: "E_IMAGE_NOT_FOUND" });
  });

  test("list is newest first and includes untagged images", async () => {
    using c = testCatalog();
    const old = await c.make("old", { created: "2020-01-01T00:00:00Z", tags: ["old"] });
    const mid = await c.make("mid", { created: "2022-01-01T00:00:00Z" });
    const neu = await c.make("new", { created: "2024-01-01T00:00:00Z", tags: ["new"] });
    expect((await c.images.list()).map((r) => r.id)).toEqual([neu, mid, old]);
  });

  test("an ambiguous id prefix is E_IMAGE_AMBIGUOUS", async () => {
    using c = testCatalog();
    const ids = [];
    for (let i = 0; i < 40; i++) ids.push(await c.make(`img${i}`));
    // Some first hex digit is shared by two of 40 ids (pigeonhole over 16 digits).
    const first = ids.map((id) => id[7]!).find((ch, i, all) => all.indexOf(ch) !== i)!;
    await expect(c.images.find(first)).rejects.toMatchObject({ code: "E_IMAGE_AMBIGUOUS" });
  });

  test("an image tagged by another tool (index.json only) is found and listed", async () => {
    using c = testCatalog();
    const id = await c.make("ext", { tags: ["ext:1"] });
    c.db.deleteImage(id); // as if skopeo had written the tag: no db row
    expect((await c.images.get("ext:1")).id).toBe(id);
    expect((await c.images.list()).map((r) => r.id)).toEqual([id]);
  });
});

describe("finding one image reads only that image (the tag index in kiln.db)", () => {
  // db.images() lists every image: name lookups must never need it.
  const rows: { name: string; input: (ids: { app: string; manifest: string }) => string }[] = [
    { name: "a tag", input: () => "app:1" },
    { name: "a full canonical reference", input: () => "docker.io/library/app:1" },
    { name: "a full id", input: ({ app }) => app },
    { name: "an id prefix", input: ({ app }) => app.slice(7, 19) },
    { name: "a manifest digest", input: ({ manifest }) => manifest },
    { name: "name@digest", input: ({ manifest }) => `app@${manifest}` },
  ];
  for (const r of rows) {
    test(r.name, async () => {
      using c = testCatalog();
      for (let i = 0; i < 20; i++) await c.make(`other${i}`, { tags: [`other${i}`] });
      const app = await c.make("app", { tags: ["app:1"] });
      const { manifestDigest } = await c.images.get(app);
      c.db.images = () => {
        throw new Error("listed every image to find one");
      };
      const rec = await c.images.get(r.input({ app, manifest: manifestDigest }));
      expect(rec.id).toBe(app);
      expect(rec.names).toEqual(["docker.io/library/app:1"]);
    });
  }

  test("index.json changed behind kiln's back (skopeo, umoci) is seen at the next lookup", async () => {
    using c = testCatalog();
    const a = await c.make("a", { tags: ["a"] });
    const b = await c.make("b", { tags: ["b"] });
    expect((await c.images.get("a")).id).toBe(a);
    const bRef = c.layout.refs().find((x) => x.ref === "docker.io/library/b:latest")!;
    c.layout.writeIndex(setRef(removeRef(c.layout.readIndex(), "docker.io/library/a:latest").index, "docker.io/library/ext:1", bRef.descriptor));
    expect(await c.images.find("a")).toBeUndefined();
    expect((await c.images.get("ext:1")).id).toBe(b);
    expect((await c.images.get(b)).names).toEqual(["docker.io/library/b:latest", "docker.io/library/ext:1"]);
    // A second catalog over the same store (another kiln process) agrees.
    const other = new ImageCatalog(c.blobs, c.layout, c.db, async () => {
      throw new Error("no lock needed to read");
    });
    expect((await other.get("ext:1")).id).toBe(b);
  });
});

describe("findConfig: id and config only (a build's FROM)", () => {
  const rows: { name: string; input: (app: string) => string; found: boolean }[] = [
    { name: "a tag: from the tag index and the config blob", input: () => "app:1", found: true },
    { name: "a full id", input: (app) => app, found: true },
    { name: "an id prefix", input: (app) => app.slice(7, 17), found: true },
    { name: "an unknown tag", input: () => "app:2", found: false },
  ];
  for (const r of rows) {
    test(r.name, async () => {
      using c = testCatalog();
      await c.make("other", { tags: ["other"] });
      const app = await c.make("app", { tags: ["app:1"] });
      const want = await c.images.get(app);
      c.db.images = () => {
        throw new Error("listed every image to find one");
      };
      const got = await c.images.findConfig(r.input(app));
      expect(got).toEqual(r.found ? { id: app, config: want.config } : undefined);
    });
  }
});
