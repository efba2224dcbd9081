// Local Git remotes for the remote-context and ADD-git tests (no internet
// here): bare repositories served by `git daemon` on 127.0.0.1 (git:// URLs)
// and by a Bun.serve playing a "dumb" HTTP Git server (the bare repo's files,
// after `git update-server-info`) and, under /smart/, a smart one (`git
// http-backend` as a CGI), which also serves plain files (a context tarball,
// a Dockerfile). Repositories are built from trees with real commits.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { tempDir, writeTree, type TempDir, type Tree } from "../harness.ts";

const GIT_ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: "kiln test",
  GIT_AUTHOR_EMAIL: "test@kiln.invalid",
  GIT_COMMITTER_NAME: "kiln test",
  GIT_COMMITTER_EMAIL: "test@kiln.invalid",
  GIT_CONFIG_NOSYSTEM: "1",
  HOME: "/nonexistent",
};

/** Run git; throw with its output when it fails. */
export function git(args: string[], cwd?: string): string {
  const r = Bun.spawnSync(["git", ...args], { cwd, env: GIT_ENV, stdout: "pipe", stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr.toString()}`);
  return r.stdout.toString().trim();
}

export interface GitServer extends Disposable {
  /** git://127.0.0.1:PORT/<name>.git */
  gitUrl(name: string): string;
  /** http://127.0.0.1:PORT/<path> (bare repos as <name>.git, dumb; smart/<name>.git; the files given to serveFile). */
  httpUrl(path: string): string;
  /** A new bare repo <name>.git whose main branch holds `tree` in one commit; returns the commit id. */
  createRepo(name: string, tree: Tree): string;
  /** Commit `tree` (added to what is there; null removes a path) on a branch of <name>; returns the commit id. */
  commit(name: string, tree: Record<string, string | null>, opts?: { branch?: string; tag?: string }): string;
  /** Add a submodule at `path` of <name> pointing at `url`; returns the commit id. */
  addSubmodule(name: string, path: string, url: string): string;
  /** Serve `data` at /files/<name>. */
  serveFile(name: string, data: Uint8Array | string): void;
}

/** Smart HTTP: `git http-backend` run as a CGI for one request. */
async function smartHttp(req: Request, pathInfo: string, projectRoot: string): Promise<Response> {
  const url = new URL(req.url);
  const proc = Bun.spawn(["git", "http-backend"], {
    env: {
      ...GIT_ENV,
      GIT_PROJECT_ROOT: projectRoot,
      GIT_HTTP_EXPORT_ALL: "1",
      PATH_INFO: pathInfo,
      QUERY_STRING: url.search.slice(1),
      REQUEST_METHOD: req.method,
      CONTENT_TYPE: req.headers.get("content-type") ?? "",
      HTTP_GIT_PROTOCOL: req.headers.get("git-protocol") ?? "",
      HTTP_CONTENT_ENCODING: req.headers.get("content-encoding") ?? "",
    },
    stdin: req.body ? new Uint8Array(await req.arrayBuffer()) : "ignore",
    stdout: "pipe",
    stderr: "ignore",
  });
  const out = new Uint8Array(await new Response(proc.stdout).arrayBuffer());
  await proc.exited;
  // CGI: header lines, a blank line, the body.
  let split = 0;
  while (split + 3 < out.length && !(out[split] === 13 && out[split + 1] === 10 && out[split + 2] === 13 && out[split + 3] === 10)) split++;
  const headers = new Headers();
  let status = 200;
  for (const line of new TextDecoder().decode(out.subarray(0, split)).split("\r\n")) {
    const colon = line.indexOf(":");
    if (colon === -1) continue;
    const [name, value] = [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
    if (name.toLowerCase() === "status") status = Number.parseInt(value, 10);
    else headers.append(name, value);
  }
  return new Response(out.subarray(split + 4), { status, headers });
}

/** Start both servers over a fresh base dir; resolves when git daemon is ready. */
export async function startGitServer(): Promise<GitServer> {
  const base: TempDir = tempDir("git-remotes");
  const files = new Map<string, Uint8Array | string>();
  const http = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    async fetch(req) {
      const path = decodeURIComponent(new URL(req.url).pathname);
      if (path.split("/").includes("..")) return new Response("bad path", { status: 400 });
      if (path.startsWith("/smart/")) return smartHttp(req, path.slice(6), join(base.path, "repos"));
      if (path.startsWith("/files/")) {
        const data = files.get(path.slice(7));
        return data === undefined ? new Response("not found", { status: 404 }) : new Response(data);
      }
      const file = Bun.file(join(base.path, "repos", path));
      return (await file.exists()) ? new Response(file) : new Response("not found", { status: 404 });
    },
  });
  // A free port for the daemon: ask the kernel for one, then hand it over.
  const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
  const port = probe.port;
  probe.stop(true);
  mkdirSync(join(base.path, "repos"));
  const daemon = Bun.spawn(
    ["git", "daemon", "--verbose", "--reuseaddr", "--export-all", `--base-path=${join(base.path, "repos")}`, "--listen=127.0.0.1", `--port=${port}`, join(base.path, "repos")],
    { env: GIT_ENV, stdout: "ignore", stderr: "pipe" },
  );
  // git daemon --verbose says "Ready to rumble" once it listens.
  const reader = daemon.stderr.getReader();
  let log = "";
  while (!log.includes("Ready to rumble")) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`git daemon did not start: ${log}`);
    log += new TextDecoder().decode(value);
  }
  reader.releaseLock();
  void daemon.stderr.pipeTo(new WritableStream()).catch(() => {});

  const bare = (name: string) => join(base.path, "repos", `${name}.git`);
  const work = (name: string) => join(base.path, "work", name);
  const publish = (name: string) => git(["update-server-info"], bare(name));

  return {
    gitUrl: (name) => `git://127.0.0.1:${port}/${name}.git`,
    httpUrl: (path) => `http://127.0.0.1:${http.port}/${path}`,
    createRepo(name, tree) {
      git(["init", "--quiet", "--bare", "--initial-branch=main", bare(name)]);
      mkdirSync(work(name), { recursive: true });
      git(["init", "--quiet", "--initial-branch=main"], work(name));
      git(["remote", "add", "origin", bare(name)], work(name));
      writeTree(work(name), tree);
      git(["add", "-A"], work(name));
      git(["commit", "--quiet", "-m", "initial"], work(name));
      git(["push", "--quiet", "origin", "main"], work(name));
      publish(name);
      return git(["rev-parse", "HEAD"], work(name));
    },
    commit(name, tree, opts = {}) {
      const branch = opts.branch ?? "main";
      // A new branch starts where the work tree is; an existing one is checked out as it is.
      const exists = Bun.spawnSync(["git", "rev-parse", "--verify", "--quiet", `refs/heads/${branch}`], { cwd: work(name), env: GIT_ENV }).exitCode === 0;
      git(["checkout", "--quiet", ...(exists ? [] : ["-b"]), branch], work(name));
      for (const [rel, content] of Object.entries(tree)) {
        if (content === null) rmSync(join(work(name), rel), { recursive: true, force: true });
        else writeTree(work(name), { [rel]: content });
      }
      git(["add", "-A"], work(name));
      git(["commit", "--quiet", "--allow-empty", "-m", `change on ${branch}`], work(name));
      if (opts.tag) git(["tag", "-a", "-m", opts.tag, opts.tag], work(name));
      git(["push", "--quiet", "--force", "origin", branch, ...(opts.tag ? [opts.tag] : [])], work(name));
      publish(name);
      return git(["rev-parse", "HEAD"], work(name));
    },
    addSubmodule(name, path, url) {
      git(["-c", "protocol.file.allow=always", "submodule", "--quiet", "add", url, path], work(name));
      git(["commit", "--quiet", "-m", `submodule ${path}`], work(name));
      git(["push", "--quiet", "origin", "HEAD"], work(name));
      publish(name);
      return git(["rev-parse", "HEAD"], work(name));
    },
    serveFile(name, data) {
      files.set(name, data);
    },
    [Symbol.dispose]() {
      daemon.kill();
      http.stop(true);
      base[Symbol.dispose]();
    },
  };
}
