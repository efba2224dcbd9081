/**
 * Git repositories as build contexts and ADD sources, fetched with the
 * system `git` as Docker's CLI and BuildKit do (moby
 * builder/remotecontext/git/gitutils.go): `git init`, a shallow fetch of the
 * one ref, checkout of FETCH_HEAD, submodules recursively, `.git` removed
 * unless asked to keep it. A "dumb" HTTP server cannot do shallow fetches:
 * kiln then fetches the full history (moby probes for a smart server first;
 * retrying on git's own refusal costs nothing with smart servers). An
 * abbreviated commit id is no ref a server can be asked for: the whole
 * repository is fetched and the id resolved locally.
 */
import { existsSync, readdirSync, rmSync, statSync } from "node:fs";
import { BuildError, HostError } from "../errors.ts";
import { resolveInRoot } from "../layer/index.ts";
import { capture, type Captured } from "../util/spawn.ts";
import { isCommitId, isCommitPrefix, redactUrls, stripCredentials, type GitSource } from "./git-url.ts";

/** How failures read where they happen: a build context, or an ADD step. */
export interface GitErrorStyle {
  code: "E_BUILD_CONTEXT" | "E_BUILD";
  /** "unable to prepare context: " or "ADD failed: ". */
  prefix: string;
}

interface GitCheckout {
  /** The context dir: the checkout, or the SUBDIR inside it. */
  dir: string;
  /** The commit checked out. */
  commit: string;
}

const SHALLOW_REFUSED = /does not support shallow|shallow file has changed|dumb http transport/i;
const REF_MISSING = /couldn't find remote ref|not our ref|unadvertised object|no such remote ref/i;

/** Is git in PATH? Looked up once per process (PATH does not change during a build). */
let gitInPath: boolean | undefined;

/** Run git with prompts off (a missing credential fails instead of waiting for a password) and C messages. */
async function git(args: string[], cwd?: string): Promise<Captured> {
  gitInPath ??= Bun.which("git") !== null;
  if (!gitInPath) {
    throw new HostError("E_HOST", "git was not found in PATH: it is needed to fetch Git repositories (build contexts and ADD sources)", {
      hint: "install git (Debian/Ubuntu: apt install git; Alpine: apk add git), or clone the repository yourself and build the directory",
    });
  }
  return capture(["git", ...args], {
    cwd,
    // GIT_PROTOCOL_FROM_USER=0: a URL from a Dockerfile may not pick git's "user" transports (ext::, file:// in submodules), as in moby.
    // ssh in batch mode (unless the user set GIT_SSH_COMMAND): a passphrase or host-key question on the terminal would hang the build.
    env: {
      ...process.env,
      GIT_TERMINAL_PROMPT: "0",
      GIT_PROTOCOL_FROM_USER: "0",
      LC_ALL: "C",
      ...(process.env.GIT_SSH_COMMAND || process.env.GIT_SSH ? {} : { GIT_SSH_COMMAND: "ssh -o BatchMode=yes" }),
    },
  });
}

function gitMessage(r: Captured): string {
  const text = redactUrls(`${r.stderr}\n${r.stdout}`.trim());
  return text === "" ? `git exited with status ${r.exitCode}` : text.split("\n").slice(-6).join("\n");
}

function refName(src: GitSource): string {
  return src.ref === "" ? "the default branch (HEAD)" : JSON.stringify(src.ref);
}

function refNotFound(src: GitSource, style: GitErrorStyle): BuildError {
  return new BuildError(style.code, `${style.prefix}git ref ${refName(src)} not found in ${redactUrls(src.remote)}`, {
    hint: "check the branch, tag or commit after '#' (git ls-remote lists what the remote has)",
  });
}

function fetchFailed(src: GitSource, style: GitErrorStyle, r: Captured): BuildError {
  return new BuildError(style.code, `${style.prefix}fetching ${redactUrls(src.remote)} failed: ${gitMessage(r)}`, {
    hint: "check the URL, the network and the credentials (git's credential helpers, ssh-agent)",
  });
}

/**
 * The commit `src.ref` names on the remote (`git ls-remote`), for cache keys:
 * a branch that moved is a new key. undefined when the remote has no such ref
 * (an abbreviated commit id: only a fetch can tell).
 */
export async function resolveGitCommit(src: GitSource, style: GitErrorStyle): Promise<string | undefined> {
  if (isCommitId(src.ref)) return src.ref;
  const want = src.ref === "" ? "HEAD" : src.ref;
  const r = await git(["ls-remote", src.remote, want]);
  if (r.exitCode !== 0) throw fetchFailed(src, style, r);
  const refs = new Map<string, string>();
  for (const line of r.stdout.split("\n")) {
    const [id, name] = line.split("\t");
    if (id && name) refs.set(name, id);
  }
  // Git's own precedence for a short name: the name itself, then tags (peeled to their commit), then branches.
  const candidates = want === "HEAD" ? ["HEAD"] : [want, `refs/tags/${want}^{}`, `refs/tags/${want}`, `refs/heads/${want}`];
  for (const c of candidates) {
    const id = refs.get(c);
    if (id) return id;
  }
  if (isCommitPrefix(src.ref)) return undefined;
  throw refNotFound(src, style);
}

/** Fetch `ref` shallowly into the repo at `dir`, deepening to full history when the server cannot do shallow. */
async function fetchRef(dir: string, ref: string): Promise<Captured> {
  const shallow = await git(["fetch", "--quiet", "--no-tags", "--depth", "1", "origin", ref], dir);
  if (shallow.exitCode === 0 || !SHALLOW_REFUSED.test(shallow.stderr)) return shallow;
  return git(["fetch", "--quiet", "--no-tags", "origin", ref], dir);
}

/** Check `src` out into the empty directory `dir`; returns the context dir (SUBDIR applied) and the commit. */
export async function checkoutGit(src: GitSource, dir: string, opts: { keepGitDir: boolean; style: GitErrorStyle }): Promise<GitCheckout> {
  const { style } = opts;
  const step = async (args: string[]) => {
    const r = await git(args, dir);
    if (r.exitCode !== 0) throw new BuildError(style.code, `${style.prefix}git ${args[0]} failed in ${redactUrls(src.remote)}: ${gitMessage(r)}`);
    return r;
  };
  await step(["init", "--quiet"]);
  await step(["remote", "add", "origin", src.remote]);
  let target = "FETCH_HEAD";
  const fetched = await fetchRef(dir, src.ref === "" ? "HEAD" : src.ref);
  if (fetched.exitCode !== 0) {
    if (!REF_MISSING.test(fetched.stderr)) throw fetchFailed(src, style, fetched);
    if (!isCommitPrefix(src.ref)) throw refNotFound(src, style);
    // Maybe an abbreviated commit id: everything the remote has, then resolve it here.
    const all = await git(["fetch", "--quiet", "origin", "+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"], dir);
    if (all.exitCode !== 0) throw fetchFailed(src, style, all);
    const found = await git(["rev-parse", "--verify", "--quiet", `${src.ref}^{commit}`], dir);
    if (found.exitCode !== 0) throw refNotFound(src, style);
    target = found.stdout.trim();
  }
  await step(["-c", "advice.detachedHead=false", "checkout", "--quiet", target]);
  const commit = (await step(["rev-parse", "HEAD"])).stdout.trim();
  if (existsSync(`${dir}/.gitmodules`)) {
    const sub = await git(["submodule", "update", "--quiet", "--init", "--recursive", "--depth=1"], dir);
    if (sub.exitCode !== 0) {
      const full = SHALLOW_REFUSED.test(sub.stderr) ? await git(["submodule", "update", "--quiet", "--init", "--recursive"], dir) : sub;
      if (full.exitCode !== 0) throw new BuildError(style.code, `${style.prefix}git submodule update failed in ${redactUrls(src.remote)}: ${gitMessage(full)}`);
    }
  }
  if (!opts.keepGitDir) removeGitDirs(dir);
  // A kept .git goes into the image: its origin must not carry a token or password.
  else if (stripCredentials(src.remote) !== src.remote) await step(["remote", "set-url", "origin", stripCredentials(src.remote)]);
  return { dir: contextSubdir(src, dir, style), commit };
}

/** SUBDIR inside the checkout, its symlinks followed but never out of the repository (moby's FollowSymlinkInScope). */
function contextSubdir(src: GitSource, root: string, style: GitErrorStyle): string {
  if (src.subdir === "") return root;
  const dir = resolveInRoot(root, src.subdir);
  const st = statSync(dir, { throwIfNoEntry: false });
  if (!st?.isDirectory()) {
    throw new BuildError(style.code, `${style.prefix}${st ? "not a directory" : "directory not found"}: ${JSON.stringify(src.subdir)} in ${redactUrls(src.remote)} at ${refName(src)}`, {
      hint: "the part after ':' in the fragment must name a directory of the repository at that ref",
    });
  }
  return dir;
}

/** `.git` of the repository and of its submodules (a tracked file can never be named `.git`: these are all git's). */
function removeGitDirs(root: string): void {
  rmSync(`${root}/.git`, { recursive: true, force: true });
  if (!existsSync(`${root}/.gitmodules`)) return;
  const visit = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.name === ".git") rmSync(`${dir}/.git`, { recursive: true, force: true });
      else if (e.isDirectory()) visit(`${dir}/${e.name}`);
    }
  };
  visit(root);
}
