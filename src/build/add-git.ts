/**
 * `ADD <git url> DEST` (BuildKit's, dockerfile 1.x): the repository checked
 * out at DEST, `.git` left out unless `--keep-git-dir=true`. The cache key
 * is the commit the ref names on the remote (`git ls-remote`, one round
 * trip), so a branch that moved re-runs the step and an unchanged one hits
 * without cloning anything: the checkout happens only when the step runs.
 */
import { mkdtempSync } from "node:fs";
import { BuildError } from "../errors.ts";
import type { CopyItem } from "../layer/index.ts";
import { checkoutGit, resolveGitCommit, type GitErrorStyle } from "./git-fetch.ts";
import { parseGitUrl, redactUrls } from "./git-url.ts";

interface GitAddSource {
  /** A directory item (its contents land in DEST); its path is final once `fetch` has run. */
  item: CopyItem;
  /** `git:<commit>[:<subdir>][+.git]`, for the history and the cache key. */
  hash: string;
  /** The URL as written, credentials hidden (the step log records sources by name). */
  shown: string;
  /** Check the repository out (only when the step is not cached). */
  fetch(): Promise<void>;
}

const ADD_ERRORS: GitErrorStyle = { code: "E_BUILD", prefix: "ADD failed: " };

/** Resolve an ADD git source to its commit; `tmp` makes the step's temp dir (called only for a checkout). */
export async function planGitSource(spec: string, tmp: () => Promise<string>, opts: { keepGitDir: boolean; checksum?: string }): Promise<GitAddSource> {
  const src = parseGitUrl(spec);
  const dir = async () => mkdtempSync(`${await tmp()}/git-`);
  let commit = await resolveGitCommit(src, ADD_ERRORS);
  let checkedOut: string | undefined;
  if (commit === undefined) {
    // An abbreviated commit id: only a checkout tells which commit it is.
    const co = await checkoutGit(src, await dir(), { keepGitDir: opts.keepGitDir, style: ADD_ERRORS });
    commit = co.commit;
    checkedOut = co.dir;
  }
  // BuildKit's --checksum for a git source is the commit id (a prefix of it is enough).
  if (opts.checksum !== undefined && !commit.startsWith(opts.checksum.replace(/^sha1:/, ""))) {
    throw new BuildError("E_BUILD", `ADD failed: checksum mismatch for ${redactUrls(spec)}: expected commit ${opts.checksum}, the ref is at ${commit}`, {
      hint: "the ref moved, or --checksum names another commit",
    });
  }
  const name = src.remote.replace(/\/+$/, "").split(/[/:]/).pop()!.replace(/\.git$/, "") || "repository";
  const item: CopyItem = { path: checkedOut ?? "", name, kind: "dir", perm: 0o755, mtime: Math.floor(Date.now() / 1000) };
  const pinned = { ...src, ref: commit };
  return {
    item,
    shown: redactUrls(spec),
    hash: `git:${commit}${src.subdir ? `:${src.subdir}` : ""}${opts.keepGitDir ? "+.git" : ""}`,
    async fetch() {
      if (checkedOut !== undefined) return;
      // The commit the key was made from, not the ref again: a branch moving meanwhile cannot put other files under this key.
      const co = await checkoutGit(pinned, await dir(), { keepGitDir: opts.keepGitDir, style: ADD_ERRORS }).catch(async (err) => {
        // A server that refuses fetches by commit id (uploadpack.allowReachableSHA1InWant off, protocol v0): fetch the ref.
        if (!(err instanceof BuildError) || pinned.ref === src.ref) throw err;
        return checkoutGit(src, await dir(), { keepGitDir: opts.keepGitDir, style: ADD_ERRORS });
      });
      item.path = co.dir;
    },
  };
}
