/**
 * `kiln build -o/--output`, buildx's syntax: `type=local,dest=DIR` (the
 * image's filesystem in DIR), `type=tar,dest=FILE|-` (that filesystem as a
 * tar), `type=oci|docker,dest=FILE|-` (an image archive, as `kiln save
 * --format` writes it), `type=image|docker` without dest (the image in the
 * store: what every build does anyway), and the shorthands `-o DIR`
 * (type=local) and `-o -` (type=tar to stdout). The image is always built and
 * stored first; the outputs are written from it.
 */
import { closeSync, createReadStream, fsyncSync, openSync, renameSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { UsageError } from "../../errors.ts";
import { exportImageFs } from "../../build/index.ts";
import type { Digest } from "../../image/index.ts";
import { removeTree, saveArchive, tagReference, type ArchiveFormat, type ImageRecord, type Store } from "../../store/index.ts";
import { tempPathFor } from "../../util/fs-atomic.ts";
import { writeAll } from "../../util/write-all.ts";
import { isRealRoot } from "../../util/userns.ts";
import { printOut } from "./_shared.ts";

export type BuildOutput =
  | { type: "image"; names: string[] }
  | { type: "local"; dest: string }
  /** dest "-" is stdout. */
  | { type: "tar"; dest: string }
  | { type: "archive"; format: ArchiveFormat; dest: string };

const KEYS: Record<string, string[]> = { local: ["dest"], tar: ["dest"], oci: ["dest", "name"], docker: ["dest", "name"], image: ["name"] };
const HINT = "use -o type=local,dest=DIR, type=tar,dest=FILE|-, type=oci,dest=FILE, type=docker[,dest=FILE] or type=image";

/** buildx's CSV: `k=v` fields split at commas outside double quotes (a quoted `name="a,b"` is one field). */
function csvFields(spec: string): string[] {
  const fields: string[] = [];
  let cur = "";
  let quoted = false;
  for (const ch of spec) {
    if (ch === '"') quoted = !quoted;
    else if (ch === "," && !quoted) {
      fields.push(cur);
      cur = "";
    } else cur += ch;
  }
  return [...fields, cur];
}

/** One -o value; relative paths are relative to `cwd`. */
export function parseBuildOutput(spec: string, cwd: string): BuildOutput {
  if (spec === "") throw new UsageError("invalid --output \"\": empty value", { hint: HINT });
  // The shorthands, as buildx tells them: one field, not starting with type=.
  if (csvFields(spec).length === 1 && !spec.startsWith("type=")) return spec === "-" ? { type: "tar", dest: "-" } : local(resolve(cwd, spec));
  const attrs = new Map<string, string>();
  for (const f of csvFields(spec)) {
    const eq = f.indexOf("=");
    if (eq <= 0) throw new UsageError(`invalid --output "${spec}": "${f}" is not KEY=VALUE`, { hint: HINT });
    attrs.set(f.slice(0, eq).trim().toLowerCase(), f.slice(eq + 1));
  }
  const type = attrs.get("type");
  if (type === undefined) throw new UsageError(`invalid --output "${spec}": type=… is required`, { hint: HINT });
  const keys = KEYS[type];
  if (!keys) throw new UsageError(`--output type=${type} is not supported`, { hint: HINT });
  for (const k of attrs.keys()) if (k !== "type" && !keys.includes(k)) throw new UsageError(`--output type=${type} has no attribute "${k}"`, { hint: `type=${type} takes: ${keys.join(", ")}` });
  const dest = attrs.get("dest");
  const path = (d: string) => (d === "-" ? d : resolve(cwd, d));
  if (type === "image" || (type === "docker" && dest === undefined)) {
    return { type: "image", names: (attrs.get("name") ?? "").split(",").filter((n) => n !== "") };
  }
  if (!dest) throw new UsageError(`--output type=${type} needs dest=…`, { hint: type === "local" ? "add dest=DIR" : "add dest=FILE (or dest=- for stdout)" });
  if (type === "local") {
    if (dest === "-") throw new UsageError("--output type=local cannot write to stdout", { hint: "use -o - (a tar on stdout) or dest=DIR" });
    return local(path(dest));
  }
  if (type === "tar") return { type: "tar", dest: path(dest) };
  if (attrs.has("name")) throw new UsageError(`--output type=${type},dest=… takes the image's names from -t, not name=`, { hint: "drop name=, add -t NAME" });
  return { type: "archive", format: type === "oci" ? "oci-archive" : "docker-archive", dest: path(dest) };
}

function local(dest: string): BuildOutput {
  if (statSync(dest, { throwIfNoEntry: false })?.isDirectory() === false) {
    throw new UsageError(`--output type=local: ${dest} exists and is not a directory`, { hint: "give a directory (it is created when missing)" });
  }
  return { type: "local", dest };
}

/** Every -o value; at most one may write to stdout. */
export function parseBuildOutputs(specs: string[], cwd: string): BuildOutput[] {
  const outputs = specs.map((s) => parseBuildOutput(s, cwd));
  if (outputs.filter(toStdout).length > 1) throw new UsageError("only one --output can write to stdout");
  return outputs;
}

export function toStdout(o: BuildOutput): boolean {
  return "dest" in o && o.dest === "-";
}

export interface OutputContext {
  store: Store;
  id: Digest;
  /** The build's -t names (an archive is saved under them). */
  tags: string[];
  warn(message: string): void;
  abort?: AbortSignal;
}

/** Write every output of a built image. */
export async function writeBuildOutputs(outputs: BuildOutput[], ctx: OutputContext): Promise<void> {
  const { store } = ctx;
  // Read once, on first need (tagging does not change what the outputs below read of it).
  let loaded: Promise<ImageRecord> | undefined;
  const image = () => (loaded ??= store.getImage(ctx.id));
  for (const o of outputs) {
    switch (o.type) {
      case "image":
        for (const name of o.names) await store.tag(ctx.id, name);
        break;
      case "local": {
        // Owners can be given only by real root; rootless, the files are the user's (as buildx's client writes them).
        const keepOwners = isRealRoot();
        for (const w of await exportImageFs(store, await image(), { dir: o.dest, keepOwners }, ctx.abort)) ctx.warn(`--output ${o.dest}: ${w}`);
        if (!keepOwners) ctx.warn(`--output ${o.dest}: rootless, so every file belongs to you; the image's owners are kept only by -o type=tar`);
        break;
      }
      case "tar": {
        const record = await image();
        await writeFileOrStdout(o.dest, store, async (file) => void (await exportImageFs(store, record, { tarFile: file }, ctx.abort)));
        break;
      }
      case "archive": {
        const refs = ctx.tags.map(tagReference);
        const record = await image();
        await writeFileOrStdout(o.dest, store, async (file) => {
          const fd = openSync(file, "w", 0o644);
          try {
            await saveArchive(store, [{ record, refs }], o.format, (chunk) => void writeAll(fd, chunk));
          } finally {
            closeSync(fd);
          }
        });
        break;
      }
    }
  }
}

/**
 * `write` fills a file that then becomes `dest` whole (temp beside it, then
 * renamed), or, for "-", is copied to stdout and removed.
 */
async function writeFileOrStdout(dest: string, store: Store, write: (file: string) => Promise<void>): Promise<void> {
  const tmpDir = dest === "-" ? await store.tempDir("output") : undefined;
  const file = tmpDir ? join(tmpDir, "out.tar") : tempPathFor(dest);
  try {
    await write(file);
    if (!tmpDir) {
      const fd = openSync(file, "r");
      fsyncSync(fd);
      closeSync(fd);
      renameSync(file, dest);
      return;
    }
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) printOut(chunk as Buffer);
  } finally {
    if (tmpDir) removeTree(tmpDir);
    else rmSync(file, { force: true });
  }
}
