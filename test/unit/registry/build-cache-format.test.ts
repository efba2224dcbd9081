import { describe, expect, test } from "bun:test";
import { MEDIA_TYPE_OCI_INDEX, MEDIA_TYPE_OCI_MANIFEST, type Digest } from "../../../src/image/index.ts";
import { BUILD_CACHE_ARTIFACT_TYPE, parseCacheIndex, serializeCacheIndex, type CacheEntry } from "../../../src/registry/build-cache-format.ts";

const d = (c: string) => `sha256:${c.repeat(64)}` as Digest;
const entry = (key: string, image: string, parent?: string): CacheEntry => ({
  key: d(key),
  image: d(image),
  ...(parent ? { parent: d(parent) } : {}),
  manifest: { mediaType: MEDIA_TYPE_OCI_MANIFEST, digest: d(image === "a" ? "c" : "e"), size: 500 },
});
const json = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes));

describe("build cache index format", () => {
  test("an OCI index of step manifests, annotated with key, image id and parent", () => {
    const doc = json(serializeCacheIndex([entry("1", "a", "b")]));
    expect(doc).toEqual({
      schemaVersion: 2,
      mediaType: MEDIA_TYPE_OCI_INDEX,
      artifactType: BUILD_CACHE_ARTIFACT_TYPE,
      manifests: [{
        mediaType: MEDIA_TYPE_OCI_MANIFEST,
        digest: d("c"),
        size: 500,
        annotations: { "dev.kiln.cache.key": d("1"), "dev.kiln.cache.image": d("a"), "dev.kiln.cache.parent": d("b") },
      }],
      annotations: { "dev.kiln.cache.version": "1" },
    });
  });

  test("entries are sorted by key: the same cache serialises to the same bytes", () => {
    const x = serializeCacheIndex([entry("2", "a"), entry("1", "f")]);
    const y = serializeCacheIndex([entry("1", "f"), entry("2", "a")]);
    expect(Buffer.from(x).equals(Buffer.from(y))).toBe(true);
  });

  test("parse(serialize(entries)) gives the entries back", () => {
    const entries = [entry("1", "a", "b"), entry("2", "f")];
    expect(parseCacheIndex(json(serializeCacheIndex(entries)), "ref")).toEqual(entries);
  });

  const rows: [string, unknown, string][] = [
    ["an image manifest", { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_MANIFEST, config: {}, layers: [] }, "ref is not a kiln build cache"],
    ["a multi-platform image index", { schemaVersion: 2, mediaType: MEDIA_TYPE_OCI_INDEX, manifests: [] }, "ref is not a kiln build cache"],
    ["a cache of a newer version", { schemaVersion: 2, artifactType: BUILD_CACHE_ARTIFACT_TYPE, manifests: [], annotations: { "dev.kiln.cache.version": "2" } }, "version 2"],
  ];
  test.each(rows)("%s is refused", (_name, doc, message) => {
    expect(() => parseCacheIndex(doc, "ref")).toThrow(message);
  });

  test("entries without a valid key or image id are skipped", () => {
    const doc = json(serializeCacheIndex([entry("1", "a")]));
    doc.manifests.push({ mediaType: MEDIA_TYPE_OCI_MANIFEST, digest: d("9"), size: 1, annotations: { "dev.kiln.cache.key": "not-a-digest", "dev.kiln.cache.image": d("a") } });
    doc.manifests.push({ mediaType: MEDIA_TYPE_OCI_MANIFEST, digest: d("9"), size: 1 });
    expect(parseCacheIndex(doc, "ref").map((e) => e.key)).toEqual([d("1")]);
  });
});
