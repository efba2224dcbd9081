// The oracle for cases that neither Docker 20.10's classic builder nor
// Buildah 1.28 can build (heredocs, COPY --parents): the expected filesystem written out by
// hand, following BuildKit's documented semantics, on top of the base
// image's flattened rootfs. Only files are compared for these cases.
import { readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import type { BaseImage } from "../../reference/base-images.ts";
import { flattenLayerFiles, type FsEntry } from "./flatten.ts";
import type { Snapshot } from "./snapshot.ts";

export interface ExpectedFile {
  /** File content, or `fromContext` to take a build-context file (content and mode). */
  content?: string;
  fromContext?: string;
  mode?: number;
}

export interface HandWritten {
  base: BaseImage["key"] | "scratch";
  /** Why these are the right results (the semantics being followed). */
  why: string;
  files: Record<string, ExpectedFile>;
  /** Directories whose mode is not the default 0755 (owner root). */
  dirs?: Record<string, number>;
}

const lines = (...l: string[]) => `${l.join("\n")}\n`;
const ROBOTS = lines("(robots content)", "Long file with random text", "Random line", "HelloWorld");
const HUMANS = lines("(humans content)");

/**
 * RUN <<EOF runs the body with the shell (BuildKit passes it as `sh -c BODY`),
 * so the shell expands variables whatever the quoting: ARGs and ENVs are in
 * its environment, and the body's own assignments apply. COPY/ADD <<EOF
 * expand with the build's ARG/ENV only when the delimiter is unquoted
 * (unknown names become empty, quotes in the body are kept); <<"EOF" is literal.
 */
function heredocQuoting(): Record<string, ExpectedFile> {
  const files: Record<string, ExpectedFile> = {};
  const run: [string, string, string][] = [["argvA", "valueA", "valueB"], ["argvA", "valueA", "valueB"], ["argvA", "valueA2", "valueB"], ["argvA2", "valueA2", "valueB"]];
  for (const q of ["unquoted", "quoted"]) {
    run.forEach(([a, v, b], i) => {
      for (const [name, val] of [["argA", a], ["varA", v], ["varB", b]]) files[`/run-${name}=${val}.${q}${i + 1}.txt`] = { content: "" };
    });
  }
  const prefixes = [lines("varB=valueB"), lines("varB=valueB"), lines("varA=valueA2", "varB=valueB"), lines("argA=argvA2", "varA=valueA2", "varB=valueB")];
  for (const op of ["copy", "add"]) {
    files[`/${op}-unquoted1.txt`] = { content: lines("varB=valueB", "touch /argA=argvA", "touch /varA=valueA", "touch /varB=") };
    files[`/${op}-quoted1.txt`] = { content: lines("varB=valueB", "argA=$argA", "varA=$varA", "varB=$varB") };
    for (const i of [2, 3, 4]) {
      files[`/${op}-unquoted${i}.txt`] = { content: prefixes[i - 1] + lines('argA="argvA"', 'varA="valueA"', 'varB=""') };
      files[`/${op}-quoted${i}.txt`] = { content: prefixes[i - 1] + lines('argA="$argA"', 'varA="$varA"', 'varB="$varB"') };
    }
  }
  return files;
}

/**
 * COPY --parents (Dockerfile reference, dockerfile:1.7-labs): each source
 * keeps its path below the context root, or below a `/./` in it, under the
 * destination. BuildKit creates those parent dirs copying the source dirs'
 * metadata (fsutil's copier.createParentDirs: mode kept, owner from the
 * COPY's chown, root); the destination itself is made 0755. The context's
 * dirs are 0555 and its files 0444 (the shared suite is read-only).
 */
function parents(dest: string, files: string[], dirs: string[]): Pick<HandWritten, "base" | "why" | "files" | "dirs"> {
  return {
    base: "scratch",
    why: "COPY --parents as the Dockerfile reference describes it, parents with the source dirs' modes (BuildKit's fsutil copier)",
    files: Object.fromEntries(files.map((f) => [`${dest}/${f.split(":")[0]}`, { fromContext: f.split(":").at(-1) }])),
    dirs: Object.fromEntries([[dest, 0o755], ...dirs.map((d): [string, number] => [`${dest}/${d}`, 0o555])]),
  };
}

/**
 * COPY --exclude (Dockerfile reference, dockerfile:1.19): .dockerignore
 * patterns, matched below a directory source, or against a wildcard match's
 * path in the context; `!` re-includes. Kept dirs keep their modes.
 */
function excluded(dest: string, files: string[], dirs: string[]): Pick<HandWritten, "base" | "why" | "files" | "dirs"> {
  return { ...parents(dest, files, dirs), why: "COPY --exclude as the Dockerfile reference describes it (.dockerignore pattern syntax)" };
}

/** Expected results, keyed by case name. */
export const EXPECTED: Record<string, HandWritten> = {
  "buildah/copy-parents/#parents-files": parents("/parents", ["x/a.txt", "y/a.txt"], ["x", "y"]),
  "buildah/copy-parents/#parents-glob": parents("/out", ["x/y/a.txt", "x/z/a.txt"], ["x", "x/y", "x/z"]),
  "buildah/copy-parents/#parents-dot-slash": parents("/parents", ["y/a.txt:x/y/a.txt", "y/b.txt:x/y/b.txt"], ["y"]),
  "buildah/copy-parents/#parents-dir": parents("/out", ["y/a.txt", "y/b.txt"], ["y"]),
  "buildah/copy-parents/#exclude-dir": excluded("/ex", ["a.txt:x/a.txt", "z/a.txt:x/z/a.txt", "z/b.txt:x/z/b.txt"], ["z"]),
  "buildah/copy-parents/#exclude-glob": excluded("/ex", ["a.txt:x/z/a.txt", "b.txt:x/z/b.txt"], []),
  "buildah/copy-parents/#exclude-bang": excluded("/ex", ["a.txt:x/a.txt", "y/a.txt:x/y/a.txt"], ["y", "z"]),
  "buildah/copy-parents/#exclude-parents": excluded("/p", ["x/a.txt", "x/y/a.txt", "x/z/a.txt"], ["x", "x/y", "x/z"]),
  "buildah/Dockerfile.heredoc-quoting": { base: "busybox", why: "BuildKit heredoc semantics (RUN: shell expands; COPY/ADD: frontend expands unless quoted)", files: heredocQuoting() },
  "buildah/heredoc/Dockerfile.heredoc_copy": {
    base: "busybox",
    why: "COPY of several heredocs plus a context file / a file of another stage into one dir",
    files: {
      "/test/robots.txt": { content: ROBOTS },
      "/test/humans.txt": { content: HUMANS },
      "/test/file": { fromContext: "file" },
      "/test2/image_file": { content: "helloworld\n" },
      "/test2/robots.txt": { content: ROBOTS },
      "/test2/humans.txt": { content: HUMANS },
    },
  },
};

/** The expected snapshot: base rootfs flattened, the listed dirs and files added (other parents 0755 root). */
export async function expectedSnapshot(caseName: string, context: string, bases: BaseImage[]): Promise<Snapshot> {
  const spec = EXPECTED[caseName];
  if (!spec) throw new Error(`no hand-written expectation for ${caseName}`);
  const base = bases.find((b) => b.key === spec.base);
  if (!base && spec.base !== "scratch") throw new Error(`base image ${spec.base} is not available`);
  const fs = base ? await flattenLayerFiles([base.rootfs]) : new Map<string, FsEntry>();
  for (const [path, mode] of Object.entries(spec.dirs ?? {})) fs.set(path, { type: "dir", mode, uid: 0, gid: 0 });
  for (const [path, f] of Object.entries(spec.files)) {
    for (let p = path.slice(0, path.lastIndexOf("/")); p && !fs.has(p); p = p.slice(0, p.lastIndexOf("/"))) {
      fs.set(p, { type: "dir", mode: 0o755, uid: 0, gid: 0 });
    }
    const src = f.fromContext ? join(context, f.fromContext) : undefined;
    const data = src ? readFileSync(src) : Buffer.from(f.content ?? "");
    const mode = f.mode ?? (src ? statSync(src).mode & 0o7777 : 0o644);
    const entry: FsEntry = { type: "file", mode, uid: 0, gid: 0, size: data.length, sha256: `sha256:${new Bun.CryptoHasher("sha256").update(data).digest("hex")}` };
    fs.set(path, entry);
  }
  return { built: true, files: Object.fromEntries([...fs].sort(([a], [b]) => (a < b ? -1 : 1))) };
}
