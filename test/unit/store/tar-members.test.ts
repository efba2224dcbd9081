import { describe, expect, test } from "bun:test";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { pack } from "tar-stream";
import { indexTarFile, spoolTar, type ArchiveMembers } from "../../../src/store/_tar-members.ts";
import { tempDir } from "../../harness.ts";

/** A tar made with tar-stream: regular files, a symlink and a hard link between members, hostile names. */
async function craftedTar(): Promise<Uint8Array> {
  const p = pack();
  const add = (h: Parameters<typeof p.entry>[0], body?: string) =>
    new Promise<void>((resolve, reject) => p.entry(h, body ?? "", (err) => (err ? reject(err) : resolve())));
  const chunks: Uint8Array[] = [];
  const done = (async () => {
    for await (const c of p as unknown as AsyncIterable<Uint8Array>) chunks.push(c);
  })();
  await add({ name: "./aaa/layer.tar", type: "file" }, "layer bytes");
  await add({ name: "bbb/layer.tar", type: "symlink", linkname: "../aaa/layer.tar" });
  await add({ name: "ccc/layer.tar", type: "link", linkname: "aaa/layer.tar" });
  await add({ name: "../../etc/evil", type: "file" }, "only a map key");
  await add({ name: "/abs/x", type: "file" }, "abs");
  await add({ name: "loop", type: "symlink", linkname: "loop" });
  await add({ name: "manifest.json", type: "file" }, "[]");
  p.finalize();
  await done;
  return Buffer.concat(chunks);
}

describe("archive members", () => {
  const modes: [string, (tar: Uint8Array, dir: string) => Promise<ArchiveMembers>][] = [
    ["spooled from a stream", (tar, dir) => spoolTar(new Blob([tar]).stream(), dir)],
    [
      "sliced from a plain tar file",
      (tar, dir) => {
        writeFileSync(`${dir}/../archive.tar`, tar);
        return indexTarFile(`${dir}/../archive.tar`);
      },
    ],
  ];
  for (const [name, open] of modes) {
    test(`${name}: members by canonical name, links followed, nothing written outside`, async () => {
      using dir = tempDir("members");
      const spool = dir.join("spool");
      mkdirSync(spool);
      const m = await open(await craftedTar(), spool);
      const text = async (n: string) => m.get(n)?.text();
      expect(await text("aaa/layer.tar")).toBe("layer bytes");
      expect(await text("./aaa/layer.tar")).toBe("layer bytes");
      expect(await text("bbb/layer.tar")).toBe("layer bytes");
      expect(await text("ccc/layer.tar")).toBe("layer bytes");
      expect(await text("abs/x")).toBe("abs");
      expect(await text("manifest.json")).toBe("[]");
      expect(m.get("loop")).toBeUndefined();
      expect(m.get("missing")).toBeUndefined();
      expect(readdirSync(dir.path).sort()).toEqual(name.startsWith("spooled") ? ["spool"] : ["archive.tar", "spool"]);
    });
  }

  test("garbage is a clear E_STORE error", async () => {
    using dir = tempDir("members");
    const bytes = new Uint8Array(1024).fill(7);
    await expect(spoolTar(new Blob([bytes]).stream(), dir.path)).rejects.toMatchObject({ code: "E_STORE", message: expect.stringContaining("not a readable tar") });
  });
});
