// A flipped byte in any blob is caught by its digest when kiln reads it,
// with an error that names the blob and says what to do.
import { describe, expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { Store } from "../../src/store/index.ts";
import { runKiln, tempDir } from "../harness.ts";
import { importAlpine, noAlpine } from "../lib/alpine-store.ts";

function flipByte(path: string, at: (length: number) => number): void {
  const bytes = readFileSync(path);
  const i = at(bytes.length);
  bytes[i] = bytes[i]! ^ 0x01;
  writeFileSync(path, bytes);
}

type Part = "config" | "manifest" | "layer";

describe.skipIf(noAlpine)("corrupt blobs", () => {
  const rows: [string, Part, string[], RegExp][] = [
    ["inspect reads a damaged config", "config", ["inspect", "alpine"], /blob sha256:[a-f0-9]{64} is corrupt/],
    ["history reads a damaged manifest", "manifest", ["history", "alpine"], /blob sha256:[a-f0-9]{64} is corrupt/],
    ["save streams a damaged layer", "layer", ["save", "-o", "OUT", "alpine"], /blob sha256:[a-f0-9]{64} is corrupt/],
    ["save --format oci-archive streams a damaged layer", "layer", ["save", "--format", "oci-archive", "-o", "OUT", "alpine"], /blob sha256:[a-f0-9]{64} is corrupt/],
  ];
  for (const [name, part, args, re] of rows) {
    test(`${name}: E_BLOB_DIGEST_MISMATCH, nothing half-written`, async () => {
      using dir = tempDir("integrity");
      const root = dir.join("store");
      {
        using store = await Store.open({ root });
        const rec = await importAlpine(store, ["alpine"]);
        const digest = part === "config" ? rec.manifest.config.digest : part === "manifest" ? rec.manifestDigest : rec.manifest.layers[0]!.digest;
        flipByte(store.blobPath(digest), (n) => Math.floor(n / 2));
      }
      const out = dir.join("out.tar");
      const r = await runKiln(args.map((a) => (a === "OUT" ? out : a)), { root });
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(re);
      expect(r.stderr).toContain("hint: ");
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(dir.path)).toEqual(["store"]);
    });
  }

  test("kiln images names the damaged image instead of hiding it silently", async () => {
    using dir = tempDir("integrity");
    {
      using store = await Store.open({ root: dir.path });
      const rec = await importAlpine(store, ["alpine"]);
      flipByte(store.blobPath(rec.manifest.config.digest), () => 3);
    }
    const r = await runKiln(["images"], { root: dir.path });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/cannot list docker\.io\/library\/alpine:latest: blob sha256:[a-f0-9]{64} is corrupt/);
  });
});
