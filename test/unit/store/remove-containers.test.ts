// removeImage with containers (moby daemon/images/image_delete.go): an image
// a container was created from keeps existing; its last tag goes only with
// -f, and a running container's image cannot be deleted by id even with -f.
import { describe, expect, test } from "bun:test";
import { shortId, type Digest } from "../../../src/image/index.ts";
import type { ImageUsers } from "../../../src/store/remove.ts";
import { testCatalog } from "./_catalog.ts";

const CONTAINER = "c0ffee".padEnd(64, "0");
const users = (id: Digest, running: boolean): ImageUsers => new Map([[id, [{ container: CONTAINER, running }]]]);

interface Row {
  name: string;
  tags: string[];
  running: boolean;
  /** What to remove: a tag, or "ID". */
  target: string;
  force: boolean;
  /** The lines printed, or the error (ID and C replaced by the short ids). */
  want: string[] | { error: string };
  /** Whether the image still exists afterwards. */
  kept: boolean;
}

const rows: Row[] = [
  { name: "stopped, its only tag", tags: ["app"], running: false, target: "app", force: false, want: { error: 'conflict: unable to remove repository reference "app" (must force) - container C is using its referenced image ID' }, kept: true },
  { name: "stopped, its only tag, -f: untagged, kept", tags: ["app"], running: false, target: "app", force: true, want: ["Untagged: app:latest"], kept: true },
  { name: "stopped, one of two tags: untagged", tags: ["app:1", "app:2"], running: false, target: "app:1", force: false, want: ["Untagged: app:1"], kept: true },
  { name: "stopped, by id", tags: ["app"], running: false, target: "ID", force: false, want: { error: "conflict: unable to delete ID (must be forced) - image is being used by stopped container C" }, kept: true },
  { name: "stopped, by id, -f: untagged, kept", tags: ["app"], running: false, target: "ID", force: true, want: ["Untagged: app:latest"], kept: true },
  { name: "stopped, untagged, by id, -f: nothing to untag", tags: [], running: false, target: "ID", force: true, want: { error: "conflict: unable to delete ID (cannot be forced) - image is being used by stopped container C" }, kept: true },
  { name: "running, its only tag", tags: ["app"], running: true, target: "app", force: false, want: { error: 'unable to remove repository reference "app" (must force)' }, kept: true },
  { name: "running, its only tag, -f: untagged, kept", tags: ["app"], running: true, target: "app", force: true, want: ["Untagged: app:latest"], kept: true },
  { name: "running, by id, -f", tags: ["app"], running: true, target: "ID", force: true, want: { error: "conflict: unable to delete ID (cannot be forced) - image is being used by running container C" }, kept: true },
  { name: "running, by id, tags in two repositories, -f", tags: ["app", "other"], running: true, target: "ID", force: true, want: { error: "(cannot be forced) - image is being used by running container C" }, kept: true },
];

describe("removeImage leaves containers' images alone, as docker rmi", () => {
  for (const row of rows) {
    test(row.name, async () => {
      using c = testCatalog();
      const id = await c.make("a", { tags: row.tags });
      const fill = (s: string) => s.replace("ID", shortId(id)).replace(/\bC\b/, CONTAINER.slice(0, 12));
      const run = c.rmi(row.target === "ID" ? id : row.target, row.force, users(id, row.running));
      if (Array.isArray(row.want)) expect(await run).toEqual(row.want.map(fill));
      else await expect(run).rejects.toThrow(fill(row.want.error));
      expect((await c.images.find(id)) !== undefined).toBe(row.kept);
    });
  }

  test("an untagged parent a container uses is kept when its child goes", async () => {
    using c = testCatalog();
    const base = await c.make("base");
    const child = await c.make("child", { parent: base, tags: ["app"] });
    expect(await c.rmi("app", false, users(base, false))).toEqual(["Untagged: app:latest", `Deleted: ${child}`]);
    expect(await c.images.find(base)).toBeDefined();
  });

  test("without containers the image is deleted as before", async () => {
    using c = testCatalog();
    const id = await c.make("a", { tags: ["app"] });
    expect(await c.rmi("app", false, new Map())).toEqual(["Untagged: app:latest", `Deleted: ${id}`]);
  });
});
