import { describe, expect, test } from "bun:test";
import { shortId } from "../../../src/image/index.ts";
import { testCatalog } from "./_catalog.ts";

describe("removeImage follows docker rmi", () => {
  test("removing one of several tags only untags", async () => {
    using c = testCatalog();
    const id = await c.make("a", { tags: ["app:1", "app:2"] });
    expect(await c.rmi("app:1")).toEqual(["Untagged: app:1"]);
    expect((await c.images.get(id)).names).toEqual(["docker.io/library/app:2"]);
  });

  test("removing the last tag deletes the image", async () => {
    using c = testCatalog();
    const id = await c.make("a", { tags: ["app"] });
    expect(await c.rmi("app")).toEqual(["Untagged: app:latest", `Deleted: ${id}`]);
    expect(await c.images.find(id)).toBeUndefined();
  });

  test("by id, tags in one repository are all removed", async () => {
    using c = testCatalog();
    const id = await c.make("a", { tags: ["app:1", "app:2"] });
    expect(await c.rmi(shortId(id))).toEqual(["Untagged: app:1", "Untagged: app:2", `Deleted: ${id}`]);
  });

  test("by id, tags in several repositories need -f", async () => {
    using c = testCatalog();
    const id = await c.make("a", { tags: ["app:1", "other:1"] });
    await expect(c.rmi(id)).rejects.toThrow(`conflict: unable to delete ${shortId(id)} (must be forced) - image is referenced in multiple repositories`);
    expect(await c.rmi(id, true)).toEqual(["Untagged: app:1", "Untagged: other:1", `Deleted: ${id}`]);
  });

  test("an image with children cannot be deleted, even with -f", async () => {
    using c = testCatalog();
    const base = await c.make("base");
    await c.make("child", { parent: base, tags: ["child"] });
    for (const force of [false, true]) {
      await expect(c.rmi(base, force)).rejects.toThrow(`conflict: unable to delete ${shortId(base)} (cannot be forced) - image has dependent child images`);
    }
  });

  test("untagging a parent that has children only untags it", async () => {
    using c = testCatalog();
    const base = await c.make("base", { tags: ["base"] });
    await c.make("child", { parent: base, tags: ["child"] });
    expect(await c.rmi("base")).toEqual(["Untagged: base:latest"]);
    expect((await c.images.get(base)).names).toEqual([]);
  });

  test("deleting a build result takes its untagged intermediate parents and stops at a tagged base", async () => {
    using c = testCatalog();
    const base = await c.make("base", { tags: ["alpine"] });
    const step1 = await c.make("step1", { parent: base });
    const step2 = await c.make("step2", { parent: step1 });
    const final = await c.make("final", { parent: step2, tags: ["app"] });
    c.db.cachePut("key-of-step2", step2);
    expect(await c.rmi("app")).toEqual(["Untagged: app:latest", `Deleted: ${final}`, `Deleted: ${step2}`, `Deleted: ${step1}`]);
    expect((await c.images.list()).map((r) => r.id)).toEqual([base]);
    expect(c.db.cacheGet("key-of-step2")).toBeUndefined();
  });

  test("an unknown image is E_IMAGE_NOT_FOUND", async () => {
    using c = testCatalog();
    await expect(c.rmi("nope")).rejects.toMatchObject({ code: "E_IMAGE_NOT_FOUND", message: "No such image: nope" });
  });
});
