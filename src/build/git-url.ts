/**
 * Which build contexts and ADD sources are Git repositories, and how their
 * `#REF:SUBDIR` fragment reads, by Docker's rules (moby
 * builder/remotecontext/urlutil and git/gitutils.go; BuildKit adds ssh://):
 * `git://…`, `git@host:path`, `ssh://…`, `github.com/…`, or an http(s) URL
 * whose path ends in `.git` (before the fragment). URLs in messages go
 * through redactUrls so that a token or password never reaches a terminal.
 */
import { BuildError } from "../errors.ts";
import { isUrl } from "./download.ts";

/** A git remote as Docker reads it: the URL to fetch, the ref ("" = the remote's HEAD) and the context dir inside. */
export interface GitSource {
  /** What the user wrote (for messages: redact before showing). */
  spec: string;
  /** The URL handed to git, without the fragment. */
  remote: string;
  /** Branch, tag or commit id; "" for the remote's default branch. */
  ref: string;
  /** A directory inside the repository ("" for its root). */
  subdir: string;
}

const GIT_URL_SUFFIX = /\.git(?:#.+)?$/;

/** Docker's urlutil.IsGitURL, plus BuildKit's ssh://. */
export function isGitUrl(s: string): boolean {
  if (isUrl(s)) return GIT_URL_SUFFIX.test(s);
  return s.startsWith("git://") || s.startsWith("git@") || s.startsWith("ssh://") || s.startsWith("github.com/");
}

/** A build context that is fetched rather than read from disk. */
export function isRemoteContext(s: string): boolean {
  return isUrl(s) || isGitUrl(s);
}

/** Split `URL#REF:SUBDIR` (Docker's parseRemoteURL: a bare `github.com/…` is fetched over https). */
export function parseGitUrl(spec: string): GitSource {
  const url = spec.startsWith("github.com/") ? `https://${spec}` : spec;
  const hash = url.indexOf("#");
  const remote = hash === -1 ? url : url.slice(0, hash);
  const fragment = hash === -1 ? "" : url.slice(hash + 1);
  const colon = fragment.indexOf(":");
  const ref = colon === -1 ? fragment : fragment.slice(0, colon);
  const subdir = (colon === -1 ? "" : fragment.slice(colon + 1)).replace(/^\/+|\/+$/g, "");
  // A ref starting with "-" would be read by git as an option (moby rejects it the same way).
  if (ref.startsWith("-")) {
    throw new BuildError("E_BUILD_CONTEXT", `invalid refspec: ${ref}`, { hint: "write the fragment as #BRANCH, #TAG or #COMMIT, optionally followed by :SUBDIR" });
  }
  if (subdir.split("/").includes("..")) {
    throw new BuildError("E_BUILD_CONTEXT", `invalid git context directory ${JSON.stringify(subdir)}: it leaves the repository`, { hint: "name a directory inside the repository after the ':'" });
  }
  return { spec, remote, ref, subdir };
}

/**
 * Hide credentials in every URL of `text`: the password of `scheme://user:pass@`,
 * and the whole user part of an http(s) URL (tokens are often passed as the user name).
 */
export function redactUrls(text: string): string {
  return text.replace(/\b([a-z][a-z0-9+.-]*):\/\/([^/@\s]+)@/gi, (whole, scheme: string, user: string) => {
    if (/^https?$/i.test(scheme)) return `${scheme}://xxxxx@`;
    const colon = user.indexOf(":");
    return colon === -1 ? whole : `${scheme}://${user.slice(0, colon)}:xxxxx@`;
  });
}

/**
 * `url` without what authenticates it (an http(s) user part, any password),
 * for a `.git/config` that ends up in an image (ADD --keep-git-dir).
 */
export function stripCredentials(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*):\/\/([^/@]+)@/i, (_whole, scheme: string, user: string) =>
    /^https?$/i.test(scheme) ? `${scheme}://` : `${scheme}://${user.split(":")[0]}@`,
  );
}

/** A full commit id (sha1 or sha256 object format). */
export function isCommitId(ref: string): boolean {
  return /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(ref);
}

/** Could `ref` be an abbreviated commit id (only a full fetch finds those)? */
export function isCommitPrefix(ref: string): boolean {
  return /^[0-9a-f]{4,63}$/.test(ref);
}
