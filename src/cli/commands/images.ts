import { defineCommand } from "citty";
import { UsageError } from "../../errors.ts";
import { familiarRepository, parseReference, shortId } from "../../image/index.ts";
import type { ImageRecord } from "../../store/index.ts";
import { logger } from "../logger.ts";
import { createdSince, formatList, goTime, humanSize } from "./_format.ts";
import { formatArgs, noTruncArgs, openStore, printOut, quietArgs } from "./_shared.ts";

/** One line of `docker images`: the fields its --format templates may use. */
interface ImageRow {
  Containers: string;
  CreatedAt: string;
  CreatedSince: string;
  Digest: string;
  ID: string;
  Repository: string;
  SharedSize: string;
  Size: string;
  Tag: string;
  UniqueSize: string;
  VirtualSize: string;
}

const HEADERS = { ID: "IMAGE ID", CreatedSince: "CREATED", CreatedAt: "CREATED AT" };

/**
 * The rows of one image, as the docker CLI makes them (formatter/image.go):
 * one per tag and registry digest of the same repository, a `REPO <none>` row
 * for a repository known only by digest, `<none> <none>` for an image with
 * neither. Digests are those a registry gave (repoDigests: pull, push).
 */
function rowsOf(rec: ImageRecord, repoDigests: string[], opts: { noTrunc: boolean; digests: boolean }): ImageRow[] {
  // Keys in alphabetical order: `--format json` prints them as docker does (a Go map).
  const row = (Repository: string, Tag: string, Digest: string): ImageRow => ({
    Containers: "N/A",
    CreatedAt: goTime(rec.config.created),
    CreatedSince: createdSince(rec.config.created),
    Digest,
    ID: opts.noTrunc ? rec.id : shortId(rec.id),
    Repository,
    SharedSize: "N/A",
    Size: humanSize(rec.size, 3),
    Tag,
    UniqueSize: "N/A",
    VirtualSize: humanSize(rec.size),
  });
  const tags = new Map<string, string[]>();
  for (const name of rec.names) {
    const ref = parseReference(name);
    const repo = familiarRepository(ref);
    tags.set(repo, [...(tags.get(repo) ?? []), ref.tag ?? "<none>"]);
  }
  const digests = new Map<string, string[]>();
  for (const d of repoDigests) {
    const ref = parseReference(d);
    const repo = familiarRepository(ref);
    digests.set(repo, [...(digests.get(repo) ?? []), ref.digest!]);
  }
  const rows: ImageRow[] = [];
  for (const [repo, repoTags] of tags) {
    const ds = opts.digests ? (digests.get(repo) ?? ["<none>"]) : ["<none>"];
    digests.delete(repo);
    for (const tag of repoTags) for (const d of ds) rows.push(row(repo, tag, d));
  }
  for (const [repo, ds] of digests) {
    for (const d of opts.digests ? ds : ["<none>"]) rows.push(row(repo, "<none>", d));
  }
  return rows.length > 0 ? rows : [row("<none>", "<none>", "<none>")];
}

/** Does `pattern` (REPOSITORY[:TAG], with * and ? as in path.Match) select this row? Docker matches familiar names. */
function matchesReference(pattern: string, row: ImageRow): boolean {
  const withTag = /:[^/]*$/.test(pattern);
  return new Bun.Glob(pattern).match(withTag ? `${row.Repository}:${row.Tag}` : row.Repository);
}

function parseFilters(filters: string[]): { dangling?: boolean; references: string[] } {
  const out: { dangling?: boolean; references: string[] } = { references: [] };
  for (const f of filters) {
    const [key, value = ""] = f.split(/=(.*)/s);
    if (key === "dangling") out.dangling = value === "true" || value === "1";
    else if (key === "reference") out.references.push(value);
    else throw new UsageError(`invalid filter '${key}'`, { hint: "kiln images supports --filter dangling=true|false and --filter reference=PATTERN" });
  }
  return out;
}

export default defineCommand({
  meta: { name: "images", description: "List images" },
  args: {
    repository: { type: "positional", required: false, description: "Only images of this REPOSITORY[:TAG]" },
    all: { type: "boolean", alias: ["a"], description: "Show all images (default hides intermediate images)" },
    digests: { type: "boolean", description: "Show digests" },
    filter: { type: "string", alias: ["f"], multiple: true, description: "Filter output: dangling=true|false, reference=PATTERN", valueHint: "filter" },
    ...formatArgs,
    ...noTruncArgs,
    ...quietArgs,
  },
  async run({ args }) {
    const filters = parseFilters((args.filter as string[] | undefined) ?? []);
    if (typeof args.repository === "string") filters.references.push(args.repository);
    using store = await openStore();
    const rows: ImageRow[] = [];
    const format = args.quiet ? "{{.ID}}" : ((args.format as string | undefined) ?? "");
    // As docker: a template that names .Digest shows digests, as --digests does.
    const digests = Boolean(args.digests) || format.includes(".Digest");
    const damaged = (image: string, err: unknown) => logger.warn(`cannot list ${image}: ${err instanceof Error ? err.message : String(err)}`);
    for (const rec of await store.listImages(damaged)) {
      const untagged = rec.names.length === 0;
      const intermediate = untagged && store.childrenOf(rec.id).length > 0;
      if (intermediate && !args.all) continue;
      if (filters.dangling !== undefined && filters.dangling !== (untagged && !intermediate)) continue;
      for (const row of rowsOf(rec, store.repoDigests(rec.id), { noTrunc: Boolean(args["no-trunc"]), digests })) {
        if (filters.references.every((f) => matchesReference(f, row))) rows.push(row);
      }
    }
    const table = args.digests
      ? "{{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}"
      : "{{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}";
    printOut(formatList({ format, table, headers: HEADERS, rows }));
  },
});
