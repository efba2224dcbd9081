// The differential cases: every build context of the shared Buildah
// conformance data (read in place, never copied into the repo) plus kiln's
// own cases under test/fixtures/conformance/<case>/. Each case says which
// builder is its oracle (Docker's classic builder unless it lacks a feature
// the case needs) and, when it cannot run here, why.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { BASE_NAMES } from "../../reference/base-images.ts";
import { fromImages } from "./from-lines.ts";

/** Who says what is right: a reference builder, or results written by hand (expect-oracle.ts). */
export type Oracle = "docker" | "buildah" | "expect";

export interface Case {
  /** `buildah/<path of the Dockerfile>[ARG=v]` or `kiln/<fixture>`. */
  name: string;
  suite: "buildah" | "kiln";
  /** Build context dir (read-only for the buildah suite). */
  context: string;
  /** Dockerfile path, relative to the context. */
  dockerfile: string;
  buildArgs?: Record<string, string>;
  oracle: Oracle;
  /** Why the oracle is not Docker. */
  oracleReason?: string;
  /** Shell script (path) run in a temp copy of the context before building. */
  prepare?: string;
  /** Why this case is not run. */
  skip?: string;
}

interface Note {
  skip?: string;
  oracle?: Oracle;
  oracleReason?: string;
  variants?: Record<string, string>[];
}

const HEREDOC = "heredocs: Docker 20.10's classic builder and Buildah 1.28 both lack them; expected files written by hand (expect-oracle.ts)";
const NO_TRUE = "COPY true: the upstream test compiles a static `true` from true.go before building; no Go toolchain here";

/** Per-case facts about the Buildah suite, keyed by the Dockerfile's path in it. */
export const BUILDAH_NOTES: Record<string, Note> = {
  "Dockerfile.add": { skip: "ADD https://github.com/…: only the npm registry and Debian mirrors are reachable" },
  "Dockerfile.heredoc-quoting": { oracle: "expect", oracleReason: HEREDOC },
  "heredoc/Dockerfile.heredoc_copy": { oracle: "expect", oracleReason: HEREDOC },
  "multistage/copyback/Dockerfile": { oracle: "buildah", oracleReason: "RUN --mount is BuildKit-only in Docker 20.10; Buildah has it" },
  "mount/Dockerfile": { skip: "needs a build-time bind mount at /tmp/test (buildah bud -v); docker build has no -v" },
  "transientmount/Dockerfile": { skip: "needs build-time bind mounts (buildah bud -v); docker build has no -v" },
  "mount-targets/Dockerfile": { skip: NO_TRUE },
  "mount-targets/Dockerfile.mount": { skip: NO_TRUE },
  // The upstream test passes SOURCE; these cover single names, globs, dirs and hidden dirs.
  "copyglob/Dockerfile": { variants: [{ SOURCE: "*" }, { SOURCE: "*.txt" }, { SOURCE: "b" }, { SOURCE: "*/sub" }, { SOURCE: "?/.sub" }, { SOURCE: "[a-c]/sub/*" }] },
};

const CONTEXT_ONLY = "context without a Dockerfile: the upstream Go test writes its Dockerfile inline";
const AVAILABLE = new Set(["scratch", ...Object.values(BASE_NAMES).flat()]);

const isDockerfile = (name: string) => name.startsWith("Dockerfile");

function unavailableBase(text: string): string | undefined {
  const missing = fromImages(text).filter((ref) => !AVAILABLE.has(ref));
  return missing.length ? `base image ${missing.join(", ")} is not available here (no registry; only busybox and alpine are made locally)` : undefined;
}

function buildahCase(root: string, dir: string, file: string): Case[] {
  const rel = relative(root, join(dir, file));
  const note = BUILDAH_NOTES[rel] ?? {};
  const skip = note.skip ?? unavailableBase(readFileSync(join(dir, file), "utf8"));
  const base = { suite: "buildah" as const, context: dir, dockerfile: file, oracle: note.oracle ?? "docker", oracleReason: note.oracleReason, skip };
  if (!note.variants) return [{ name: `buildah/${rel}`, ...base }];
  return note.variants.map((args) => ({
    name: `buildah/${rel}[${Object.entries(args).map(([k, v]) => `${k}=${v}`).join(",")}]`,
    ...base,
    buildArgs: args,
  }));
}

function hasDockerfileBelow(dir: string): boolean {
  return readdirSync(dir, { withFileTypes: true }).some((e) => (e.isFile() && isDockerfile(e.name)) || (e.isDirectory() && hasDockerfileBelow(join(dir, e.name))));
}

/**
 * Every context of the Buildah suite: top-level Dockerfile.* use the folder
 * itself; each folder with Dockerfile(s) is a context (sub-folders are part of
 * it, but may hold contexts of their own); a folder tree with files and no
 * Dockerfile at all is listed once, skipped.
 */
export function buildahCases(root: string): Case[] {
  const out: Case[] = [];
  const walk = (dir: string) => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const e of entries) if (e.isFile() && isDockerfile(e.name)) out.push(...buildahCase(root, dir, e.name));
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const sub = join(dir, e.name);
      if (hasDockerfileBelow(sub)) walk(sub);
      else if (dir === root || !entries.some((x) => x.isFile() && isDockerfile(x.name))) {
        out.push({ name: `buildah/${relative(root, sub)}/`, suite: "buildah", context: sub, dockerfile: "", oracle: "docker", skip: CONTEXT_ONLY });
      }
    }
  };
  walk(root);
  return out;
}

interface FixtureMeta {
  buildArgs?: Record<string, string>;
  oracle?: Oracle;
  oracleReason?: string;
  skip?: string;
}

/** kiln's own cases: test/fixtures/conformance/<case>/{Dockerfile, case.json?, prepare.sh?, context…}. */
export function kilnCases(root: string): Case[] {
  if (!existsSync(root)) return [];
  return readdirSync(root)
    .filter((n) => statSync(join(root, n)).isDirectory())
    .sort()
    .map((n) => {
      const dir = join(root, n);
      const meta: FixtureMeta = existsSync(join(dir, "case.json")) ? JSON.parse(readFileSync(join(dir, "case.json"), "utf8")) : {};
      const prepare = join(dir, "prepare.sh");
      return {
        name: `kiln/${n}`,
        suite: "kiln" as const,
        context: dir,
        dockerfile: "Dockerfile",
        buildArgs: meta.buildArgs,
        oracle: meta.oracle ?? "docker",
        oracleReason: meta.oracleReason,
        prepare: existsSync(prepare) ? prepare : undefined,
        skip: meta.skip ?? unavailableBase(readFileSync(join(dir, "Dockerfile"), "utf8")),
      };
    });
}

/** All cases: the shared Buildah suite (when /work/shared is present) and kiln's fixtures. */
export function listCases(shared: string | undefined, fixtures: string): Case[] {
  const buildah = shared && existsSync(join(shared, "conformance/buildah")) ? buildahCases(join(shared, "conformance/buildah")) : [];
  return [...buildah, ...kilnCases(fixtures)];
}
