// The differential cases: every build context of the shared Buildah
// conformance data (read in place, never copied into the repo) plus kiln's
// own cases under test/fixtures/conformance/<case>/. Each case says which
// builder is its oracle (Docker's classic builder unless it lacks a feature
// the case needs) and, when it cannot run here, why.
import { chmodSync, copyFileSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { BASE_NAMES, baseKeyFor, STAND_INS } from "../../reference/base-images.ts";
import { fromImages } from "./from-lines.ts";
import { INLINE_CASES, type InlineCase } from "./inline-cases.ts";

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
  /** Dockerfile text written (as `dockerfile`) into a temp copy of the context. */
  dockerfileText?: string;
  /** Files written into the temp copy of the context (a .dockerignore). */
  files?: Record<string, { content: string; mode: number }>;
  /** Changes made in code to the temp copy of the context (e.g. adding a binary). */
  tweak?: (dir: string) => void | Promise<void>;
  /** Every builder must refuse the build at this Dockerfile line. */
  failsAt?: number;
  /** Facts worth knowing when reading the result (stand-in base images). */
  note?: string;
  /** Why this case is not run. */
  skip?: string;
  /** Build-time bind mounts `HOST:CTR` (kiln build -v, buildah bud -v); `@@TEMPDIR@@` is the case's copy of its context. */
  volumes?: string[];
  /** The build's output, whitespace collapsed to single spaces, must match this (upstream's per-case output check). */
  outputMatches?: string;
}

interface Note {
  skip?: string;
  note?: string;
  tweak?: Case["tweak"];
  oracle?: Oracle;
  oracleReason?: string;
  variants?: Record<string, string>[];
  volumes?: string[];
  outputMatches?: string;
}

/** busybox-static's binary copied as `true`: busybox picks the applet from argv[0], so it runs as `true`. */
async function addStaticTrue(dir: string): Promise<void> {
  const bin = ["/bin/busybox", "/usr/bin/busybox"].find(existsSync);
  if (!bin) throw new Error("busybox-static is not installed (apt-get install busybox-static)");
  copyFileSync(bin, join(dir, "true"));
  chmodSync(join(dir, "true"), 0o755);
}

/** Why kiln differs from Docker 20.10 wherever a Dockerfile uses the platform ARGs (README: Differences from Docker). */
const PLATFORM_ARGS = "deliberate: kiln predefines the platform ARGs as BuildKit and Buildah do; Docker 20.10's classic builder leaves them unset (README: Differences from Docker)";
const HEREDOC = "heredocs: Docker 20.10's classic builder and Buildah 1.28 both lack them; expected files written by hand (expect-oracle.ts)";
const BUD_V = "build-time bind mounts (kiln build -v, buildah bud -v); docker build has no -v";
const TRUE_NOTE = "`true` is busybox-static copied into a temp copy of the context (upstream compiles true.go; no Go toolchain here)";

/** Per-case facts about the Buildah suite, keyed by the Dockerfile's path in it. */
export const BUILDAH_NOTES: Record<string, Note> = {
  "Dockerfile.add": { skip: "ADD https://github.com/…: only the npm registry and Debian mirrors are reachable" },
  "Dockerfile.heredoc-quoting": { oracle: "expect", oracleReason: HEREDOC },
  "heredoc/Dockerfile.heredoc_copy": { oracle: "expect", oracleReason: HEREDOC },
  "multistage/copyback/Dockerfile": { oracle: "buildah", oracleReason: "RUN --mount is BuildKit-only in Docker 20.10; Buildah has it" },
  "header-builtin/Dockerfile": { skip: `${PLATFORM_ARGS}: with TARGETARCH defined, its FROM lines pin quay.io/libpod/busybox@sha256:… digests, which cannot be pulled here` },
  // Upstream (conformance_test.go) runs these two with Buildah only, with these transient mounts and output checks.
  "mount/Dockerfile": { oracle: "buildah", oracleReason: BUD_V, volumes: ["@@TEMPDIR@@:/tmp/test"], outputMatches: "/tmp/test/file.*?regular file.*?/tmp/test/file2.*?regular file" },
  "transientmount/Dockerfile": {
    oracle: "buildah",
    oracleReason: BUD_V,
    volumes: ["@@TEMPDIR@@:/mountdir", "@@TEMPDIR@@/Dockerfile.env:/mountfile"],
    outputMatches: "file2.*?FROM mirror.gcr.io/busybox ENV name value",
  },
  "mount-targets/Dockerfile": { tweak: addStaticTrue, note: TRUE_NOTE },
  "mount-targets/Dockerfile.mount": { tweak: addStaticTrue, note: TRUE_NOTE, oracle: "buildah", oracleReason: "RUN --mount is BuildKit-only in Docker 20.10; Buildah has it" },
  // The upstream test passes SOURCE; these cover single names, globs, dirs and hidden dirs.
  "copyglob/Dockerfile": { variants: [{ SOURCE: "*" }, { SOURCE: "*.txt" }, { SOURCE: "b" }, { SOURCE: "*/sub" }, { SOURCE: "?/.sub" }, { SOURCE: "[a-c]/sub/*" }] },
};

const CONTEXT_ONLY = "context without a Dockerfile: the upstream Go test writes its Dockerfile inline";
const AVAILABLE = new Set(["scratch", ...Object.values(BASE_NAMES).flat()]);

const isDockerfile = (name: string) => name.startsWith("Dockerfile");

function unavailableBase(text: string): string | undefined {
  const missing = fromImages(text).filter((ref) => !AVAILABLE.has(ref));
  return missing.length ? `base image ${missing.join(", ")} is not available here (no registry, and no stand-in is made for it)` : undefined;
}

/** Which of the Dockerfile's base images are stand-ins, and what they are. */
function standInNote(text: string, args?: Record<string, string>): string | undefined {
  const notes = fromImages(text, args).flatMap((ref) => {
    const what = STAND_INS[baseKeyFor(ref)!];
    return what ? [`${ref}: ${what}`] : [];
  });
  return notes.length ? `base ${notes.join("; ")}` : undefined;
}

const joinNotes = (...n: (string | undefined)[]) => n.filter(Boolean).join("; ") || undefined;

function buildahCase(root: string, dir: string, file: string): Case[] {
  const rel = relative(root, join(dir, file));
  const note = BUILDAH_NOTES[rel] ?? {};
  const text = readFileSync(join(dir, file), "utf8");
  const skip = note.skip ?? unavailableBase(text);
  const base = {
    suite: "buildah" as const, context: dir, dockerfile: file, oracle: note.oracle ?? "docker", oracleReason: note.oracleReason, skip,
    tweak: note.tweak, note: joinNotes(note.note, standInNote(text)), volumes: note.volumes, outputMatches: note.outputMatches,
  };
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
        // Inline cases cover it, or it is listed as not run.
        if (!INLINE_CASES.some((ic) => ic.context === relative(root, sub))) {
          out.push({ name: `buildah/${relative(root, sub)}/`, suite: "buildah", context: sub, dockerfile: "", oracle: "docker", skip: CONTEXT_ONLY });
        }
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

/** kiln's inline cases on Buildah suite contexts (inline-cases.ts), named `buildah/<context>/#<name>` (`buildah/#<name>` without a context). */
export function inlineCases(root: string): Case[] {
  return INLINE_CASES.filter((ic) => !ic.context || existsSync(join(root, ic.context))).map((ic: InlineCase): Case => {
    const text = ic.dockerfile.join("\n");
    return {
      name: ic.context ? `buildah/${ic.context}/#${ic.name}` : `buildah/#${ic.name}`,
      suite: "buildah",
      context: ic.context ? join(root, ic.context) : "",
      tweak: ic.tweak,
      dockerfile: "Dockerfile",
      dockerfileText: text,
      files: ic.dockerignore ? { ".dockerignore": { content: ic.dockerignore.lines.join("\n"), mode: ic.dockerignore.mode } } : undefined,
      failsAt: ic.failsAt,
      oracle: ic.oracle ?? "docker",
      oracleReason: ic.oracleReason,
      note: joinNotes(ic.failsAt ? `must fail at line ${ic.failsAt}` : undefined, standInNote(text)),
      skip: unavailableBase(text),
    };
  });
}

/** All cases: the shared Buildah suite (when /work/shared is present) and kiln's fixtures. */
export function listCases(shared: string | undefined, fixtures: string): Case[] {
  const root = shared ? join(shared, "conformance/buildah") : undefined;
  const buildah = root && existsSync(root) ? [...buildahCases(root), ...inlineCases(root)] : [];
  return [...buildah, ...kilnCases(fixtures)];
}
