/**
 * Where the Dockerfile and the build context come from, as `docker build`
 * takes them: a directory (the Dockerfile at -f, relative to the current
 * directory, or PATH/Dockerfile), `-` (a tar archive — possibly compressed —
 * or a bare Dockerfile without context on stdin), a tar file, and `-f -`
 * (the Dockerfile on stdin, the context a directory), and URLs (a Git
 * repository, a tar archive or a Dockerfile: context-remote.ts). Tar contexts
 * are unpacked into a temp dir with the same scoped extraction as ADD.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { basename, isAbsolute, relative, resolve } from "node:path";
import { BuildError } from "../errors.ts";
import { DockerIgnore, dockerignoreCandidates } from "../dockerfile/index.ts";
import { extractArchive, isArchiveFile } from "../layer/index.ts";
import type { IgnoreMatcher } from "./context.ts";
import { fetchRemoteContext } from "./context-remote.ts";
import { isRemoteContext, redactUrls } from "./git-url.ts";

export interface PreparedContext {
  contextDir: string | undefined;
  dockerfile: { text: string; name: string };
  ignore?: IgnoreMatcher;
  /** The context dir is a temp dir kiln unpacked or fetched (a tar, a URL): gone after the build. */
  ephemeral?: boolean;
}

interface ContextInput {
  /** CONTEXT as given: a directory, a tar file, "-", or a URL. */
  context: string;
  /** -f as given ("-" for stdin), or undefined. */
  file?: string;
  cwd: string;
  readStdin(): Promise<Uint8Array>;
  /** A fresh temp dir (in the store) for unpacked contexts. */
  tempDir(): Promise<string>;
}

function readDockerfile(path: string, shown: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    throw new BuildError("E_BUILD_CONTEXT", `unable to prepare context: unable to evaluate symlinks in Dockerfile path: lstat ${shown}: no such file or directory`, {
      hint: "pass the Dockerfile with -f, or put one named Dockerfile in the context",
    });
  }
}

async function unpack(archive: string, input: ContextInput): Promise<string> {
  const dir = await input.tempDir();
  await extractArchive(dir, archive, "/", undefined, { preserveOwnership: false });
  return dir;
}

/** Resolve CONTEXT and -f into a context dir, the Dockerfile text and the .dockerignore rules. */
export async function prepareContext(input: ContextInput): Promise<PreparedContext> {
  let contextDir: string | undefined;
  let bareDockerfile: string | undefined;
  if (input.context === "-") {
    const tmp = await input.tempDir();
    const data = await input.readStdin();
    writeFileSync(`${tmp}/stdin`, data);
    if (await isArchiveFile(`${tmp}/stdin`)) contextDir = await unpack(`${tmp}/stdin`, input);
    else bareDockerfile = new TextDecoder().decode(data);
  } else if (isRemoteContext(input.context) && !existsSync(resolve(input.cwd, input.context))) {
    // A local path of that name wins, as in the docker CLI. -f is then relative to the fetched context's root.
    const remote = await fetchRemoteContext(input.context, input.tempDir);
    if (remote.kind === "dir") contextDir = remote.dir;
    else if (remote.kind === "archive") contextDir = await unpack(remote.path, input);
    else {
      if (input.file) throw new BuildError("E_USAGE", `${redactUrls(input.context)} is a Dockerfile, not a context: -f cannot name another file`, { hint: "drop -f, or pass a Git repository or a tar archive URL" });
      bareDockerfile = remote.text;
    }
  } else {
    const path = resolve(input.cwd, input.context);
    const st = statSync(path, { throwIfNoEntry: false });
    if (!st) throw new BuildError("E_BUILD_CONTEXT", `unable to prepare context: path "${input.context}" not found`, { hint: "pass an existing directory (or - for stdin)" });
    contextDir = st.isDirectory() ? path : await unpack(path, input);
  }
  if (bareDockerfile !== undefined) {
    if (input.file && input.file !== "-") throw new BuildError("E_USAGE", "with a Dockerfile on stdin, -f cannot name another file", { hint: "drop -f" });
    return { contextDir: undefined, dockerfile: { text: bareDockerfile, name: "Dockerfile" } };
  }
  const dir = contextDir!;
  let dockerfilePath: string;
  let text: string;
  let name: string;
  if (input.file === "-") {
    text = new TextDecoder().decode(await input.readStdin());
    name = "Dockerfile";
    dockerfilePath = `${dir}/Dockerfile`;
  } else {
    // Like the docker CLI: -f is relative to the current directory for a directory context, to the archive's root otherwise.
    const fromCwd = input.file && statSync(resolve(input.cwd, input.context), { throwIfNoEntry: false })?.isDirectory();
    dockerfilePath = input.file ? (isAbsolute(input.file) ? input.file : fromCwd ? resolve(input.cwd, input.file) : resolve(dir, input.file)) : `${dir}/Dockerfile`;
    if (!input.file && !existsSync(dockerfilePath) && existsSync(`${dir}/dockerfile`)) dockerfilePath = `${dir}/dockerfile`;
    const rel = relative(dir, dockerfilePath);
    name = rel.startsWith("..") ? basename(dockerfilePath) : rel;
    text = readDockerfile(dockerfilePath, input.file ?? name);
  }
  const ignoreFile = dockerignoreCandidates(dockerfilePath, dir).find((p) => existsSync(p));
  const ignore = ignoreFile ? classicIgnore(DockerIgnore.parse(readFileSync(ignoreFile, "utf8"))) : undefined;
  return { contextDir: dir, dockerfile: { text, name }, ignore, ephemeral: dir !== resolve(input.cwd, input.context) };
}

/**
 * .dockerignore as the docker 20.10 CLI applies it when it sends the context:
 * an excluded directory is skipped whole unless a `!pattern` literally starts
 * with its path (`!dir/keep` keeps walking `dir`; `!**\/keep` does not).
 */
function classicIgnore(di: DockerIgnore): IgnoreMatcher {
  const exceptions = di.patterns.filter((p) => p.exclusion).map((p) => `${p.pattern}/`);
  return {
    matches: (rel) => di.matches(rel),
    canSkipDir: (rel) => !exceptions.some((p) => p.startsWith(`${rel}/`)),
  };
}
