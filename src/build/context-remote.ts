/**
 * Build contexts named by URL, as `docker build URL` takes them (docker/cli
 * cli/command/image/build: GetContextFromGitURL, GetContextFromURL): a Git
 * repository is checked out (git-fetch.ts) and `#REF:SUBDIR` picks the ref
 * and the context dir; any other http(s) URL is downloaded, and is the
 * context when it is a tar archive (plain or compressed: the same sniffing
 * as ADD and tar contexts), otherwise the Dockerfile itself, with no context.
 */
import { BuildError } from "../errors.ts";
import { isArchiveFile } from "../layer/index.ts";
import { checkoutGit, type GitErrorStyle } from "./git-fetch.ts";
import { isGitUrl, parseGitUrl, redactUrls } from "./git-url.ts";

type RemoteContext =
  | { kind: "dir"; dir: string }
  /** A downloaded tar archive (maybe compressed), to unpack as a tar context is. */
  | { kind: "archive"; path: string }
  /** The URL was a Dockerfile (docker: "if the URL is a text file, it's the Dockerfile"). */
  | { kind: "dockerfile"; text: string };

const CONTEXT_ERRORS: GitErrorStyle = { code: "E_BUILD_CONTEXT", prefix: "unable to prepare context: " };

/** Fetch the context at `url` into fresh temp dirs (in the store, removed with the build's temp area). */
export async function fetchRemoteContext(url: string, tempDir: () => Promise<string>): Promise<RemoteContext> {
  if (isGitUrl(url)) {
    const checkout = await checkoutGit(parseGitUrl(url), await tempDir(), { keepGitDir: false, style: CONTEXT_ERRORS });
    return { kind: "dir", dir: checkout.dir };
  }
  const file = `${await tempDir()}/context`;
  await downloadTo(url, file);
  if (await isArchiveFile(file)) return { kind: "archive", path: file };
  return { kind: "dockerfile", text: await Bun.file(file).text() };
}

/** GET `url` into `path` (streamed: a context archive can be large). */
async function downloadTo(url: string, path: string): Promise<void> {
  const shown = redactUrls(url);
  let res: Response;
  try {
    res = await fetch(url, { redirect: "follow" });
  } catch (err) {
    throw new BuildError("E_BUILD_CONTEXT", `unable to prepare context: unable to download remote context ${shown}: ${redactUrls((err as Error).message)}`, {
      cause: err,
      hint: "check the URL and the network",
    });
  }
  if (!res.ok) {
    await res.body?.cancel();
    throw new BuildError("E_BUILD_CONTEXT", `unable to prepare context: failed to GET ${shown} with status ${res.status} ${res.statusText}`, {
      hint: "check the URL (a Git repository's URL must end in .git, or start with git://, git@ or github.com/)",
    });
  }
  await Bun.write(path, res);
}
