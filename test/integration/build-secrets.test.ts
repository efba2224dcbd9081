// kiln build --secret / --ssh with RUN --mount=type=secret|ssh, real builds
// on kiln's alpine:3.20: what RUN sees, what the layers, the saved image,
// the store and the output never hold, the cache keeping its hit when a
// secret's value changes (as BuildKit), and agent forwarding to a unix-socket
// server on the host (a Bun server, and a real ssh-agent when installed).
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { Store } from "../../src/store/index.ts";
import { openLayer, readLayer } from "../conformance/differential/flatten.ts";
import { runKiln, skipReason, tempDir, writeTree, type TempDir } from "../harness.ts";
import { cannotBuild, cannotBuildReason, mismatches, openBuildStore, type BuildStore, type Expect } from "./build-lib.ts";
import { agentClient, canRunSshAgent, disposeAgentClient, startSshAgent } from "./ssh-agent-lib.ts";

const skip = skipReason(cannotBuild, cannotBuildReason);
const SECRET = `kiln-secret-${crypto.randomUUID()}`; // never written in a Dockerfile
const SECRET_SHA = new Bun.CryptoHasher("sha256").update(SECRET).digest("hex");
const shmEntries = () => (existsSync("/dev/shm") ? readdirSync("/dev/shm").filter((n) => n.startsWith("kiln-secret-")) : []);

describe.skipIf(skip)("build secrets and ssh agents, real builds on alpine", () => {
  let store: BuildStore;
  let src: TempDir;
  const contexts: TempDir[] = [];
  let n = 0;
  beforeAll(async () => {
    store = await openBuildStore("secrets");
    src = tempDir("secret-src", { tok: "s3cret", uniq: SECRET, other: `${SECRET}-changed` });
  }, 60_000);
  afterAll(() => {
    for (const c of contexts) c[Symbol.dispose]();
    src?.[Symbol.dispose]();
    store?.[Symbol.dispose]();
  });

  /** kiln build of `FROM alpine:3.20` + `body`, tagged; `files` (name → host file) are copied into the context. */
  async function build(body: string, args: string[], env: Record<string, string> = {}, files: Record<string, string> = {}) {
    const ctx = tempDir("secrets-ctx");
    contexts.push(ctx);
    writeTree(ctx.path, { Dockerfile: `FROM alpine:3.20\n${body}\n` });
    for (const [name, from] of Object.entries(files)) copyFileSync(from, ctx.join(name));
    const tag = `secrets-${++n}`;
    return { tag, ctx: ctx.path, ...(await runKiln(["build", "-t", tag, ...args, ctx.path], { root: store.root, env })) };
  }

  /** No layer of `tag` has an entry under the mount points kiln made. */
  async function stubsInLayers(tag: string): Promise<string[]> {
    using s = await Store.open({ root: store.root });
    const image = await s.getImage(tag);
    const found: string[] = [];
    for (const l of image.manifest.layers) {
      for (const e of await readLayer(openLayer(s.blobPath(l.digest)))) if (/^\/run\/(secrets|buildkit)(\/|$)/.test(e.path)) found.push(e.path);
    }
    return found;
  }

  const tok = () => `id=tok,src=${src.join("tok")}`;
  // [name, Dockerfile body, --secret values, env, expected files]
  const rows: [string, string, () => string[], Record<string, string>, Expect][] = [
    ["a file secret at /run/secrets/ID", `RUN --mount=type=secret,id=tok sh -c 'test "$(cat /run/secrets/tok)" = s3cret && echo ok > /proof'`, () => [tok()], {}, { "/proof": { content: "ok\n" } }],
    ["env= sets the variable only, no file", `RUN --mount=type=secret,id=tok,env=TOKEN sh -c 'test "$TOKEN" = s3cret && test ! -e /run/secrets/tok && echo ok > /proof'`, () => [tok()], {}, { "/proof": { content: "ok\n" } }],
    [
      "target= with mode, uid and gid; its directory stays out of the layer",
      `RUN --mount=type=secret,id=tok,target=/etc/app/tok,mode=0440,uid=12,gid=34 sh -c 'test "$(stat -c "%a %u %g" /etc/app/tok)" = "440 12 34" && test "$(cat /etc/app/tok)" = s3cret && echo ok > /proof'`,
      () => [tok()], {}, { "/proof": { content: "ok\n" }, "/etc/app": null },
    ],
    ["default mode 0400, owner 0:0", `RUN --mount=type=secret,id=tok sh -c 'stat -c "%a %u %g" /run/secrets/tok > /mode'`, () => [tok()], {}, { "/mode": { content: "400 0 0\n" } }],
    ["the id defaults to the target's base name", `RUN --mount=type=secret,target=/root/tok sh -c 'test "$(cat /root/tok)" = s3cret && echo ok > /proof'`, () => [tok()], {}, { "/proof": { content: "ok\n" }, "/root/tok": null }],
    ["a relative target is under WORKDIR", `WORKDIR /w\nRUN --mount=type=secret,id=tok,target=t.txt sh -c 'test "$(cat /w/t.txt)" = s3cret && echo ok > /proof'`, () => [tok()], {}, { "/proof": { content: "ok\n" }, "/w/t.txt": null }],
    [
      "a target through an image symlink: the stubs made for it are removed",
      `RUN mkdir /data && ln -s /data /link\nRUN --mount=type=secret,id=tok,target=/link/sub/tok sh -c 'test "$(cat /data/sub/tok)" = s3cret && echo ok > /proof'`,
      () => [tok()], {}, { "/proof": { content: "ok\n" }, "/data": { type: "dir" }, "/data/sub": null },
    ],
    ["--secret id=ID,env=VAR", `RUN --mount=type=secret,id=tok sh -c 'test "$(cat /run/secrets/tok)" = from-env && echo ok > /proof'`, () => ["id=tok,env=MY_TOKEN"], { MY_TOKEN: "from-env" }, { "/proof": { content: "ok\n" } }],
    ["--secret id=ID alone reads the variable ID", `RUN --mount=type=secret,id=tok sh -c 'test "$(cat /run/secrets/tok)" = id-var && echo ok > /proof'`, () => ["id=tok"], { tok: "id-var" }, { "/proof": { content: "ok\n" } }],
    ["an optional secret not provided: the step runs without it", `RUN --mount=type=secret,id=absent,env=ABSENT sh -c 'test ! -e /run/secrets/absent && test -z "$ABSENT" && echo ran > /proof'`, () => [], {}, { "/proof": { content: "ran\n" } }],
  ];
  for (const [name, body, secrets, env, expected] of rows) {
    test(name, async () => {
      const r = await build(body, secrets().flatMap((s) => ["--secret", s]), env);
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(mismatches(await store.files(r.tag), expected)).toEqual([]);
      expect(await stubsInLayers(r.tag)).toEqual([]);
    });
  }

  test("a required secret not provided fails at its line", async () => {
    const r = await build("RUN true\nRUN --mount=type=secret,id=nope,required sh -c true", []);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toContain("Dockerfile:3: RUN --mount=type=secret,id=nope,required: secret nope: not found");
    expect(r.stderr).toContain("--secret id=nope,src=FILE");
  });

  test("a missing --secret file is a usage error", async () => {
    const r = await build("RUN true", ["--secret", `id=x,src=${src.join("nope")}`]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain(`--secret x: the file ${src.join("nope")} does not exist`);
  });

  test("the secret is in no layer, config, history, output, store file or leftover temp file; a new value keeps the cache hit", async () => {
    const shmBefore = shmEntries();
    const body = [
      // `touch /run/marker` copies /run up into the layer: /run/secrets must not come with it.
      `RUN --mount=type=secret,id=uniq,required sh -c 'test "$(sha256sum < /run/secrets/uniq)" = "${SECRET_SHA}  -" && touch /run/marker && echo file-ok > /proof'`,
      `RUN --mount=type=secret,id=uniq,env=UNIQ,required sh -c 'test "$(printf %s "$UNIQ" | sha256sum)" = "${SECRET_SHA}  -" && echo env-ok >> /proof'`,
    ].join("\n");
    const r = await build(body, ["--secret", `id=uniq,src=${src.join("uniq")}`]);
    expect(r.stderr).toBe("");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).not.toContain(SECRET);
    expect(mismatches(await store.files(r.tag), { "/proof": { content: "file-ok\nenv-ok\n" }, "/run/marker": { type: "file" } })).toEqual([]);
    expect(await stubsInLayers(r.tag)).toEqual([]);

    // The saved image (layers uncompressed, config with history) and every file of the store.
    const archive = join(r.ctx, "image.tar");
    const saved = await runKiln(["save", "-o", archive, r.tag], { root: store.root });
    expect(saved.exitCode).toBe(0);
    expect(readFileSync(archive).includes(SECRET)).toBe(false);
    const inStore: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.isFile() && statSync(p).size > 0 && readFileSync(p).includes(SECRET)) inStore.push(p);
      }
    };
    walk(store.root);
    expect(inStore).toEqual([]);
    expect(shmEntries()).toEqual(shmBefore);

    // BuildKit keys a secret mount on its spec, not the value: a changed secret is still a cache hit.
    const again = await runKiln(["build", "-t", r.tag, "--secret", `id=uniq,src=${src.join("other")}`, r.ctx], { root: store.root });
    expect(again.exitCode).toBe(0);
    expect(again.stdout.match(/ ---> Using cache/g)?.length).toBe(2);
    expect(again.stdout).toContain(r.stdout.match(/Successfully built [0-9a-f]{12}/)![0]);
    // …and the steps really check the value: without the cache the changed secret fails the build.
    const rerun = await runKiln(["build", "--no-cache", "--secret", `id=uniq,src=${src.join("other")}`, r.ctx], { root: store.root });
    expect(rerun.exitCode).toBe(1);
    expect(rerun.stderr).toContain("Dockerfile:2:");
  });

  describe("--ssh", () => {
    let agentDir: TempDir;
    let received: string[];
    let server: ReturnType<typeof Bun.listen>;
    const agentSock = () => agentDir.join("agent.sock");
    beforeAll(() => {
      agentDir = tempDir("ssh-agent");
      received = [];
      // The "agent": answers whatever it gets with pong and hangs up.
      server = Bun.listen({
        unix: agentDir.join("agent.sock"),
        socket: {
          data(s, d) {
            received.push(d.toString());
            s.write("pong");
            s.end();
          },
        },
      });
    });
    afterAll(() => {
      server?.stop(true);
      agentDir?.[Symbol.dispose]();
    });

    test("the agent socket at /run/buildkit/ssh_agent.0, SSH_AUTH_SOCK for that RUN only, nothing in the layers or the config", async () => {
      const body = [
        `RUN --mount=type=ssh sh -c 'test "$SSH_AUTH_SOCK" = /run/buildkit/ssh_agent.0 && test -S "$SSH_AUTH_SOCK" && stat -c "%a %u %g" "$SSH_AUTH_SOCK" > /sock'`,
        `RUN test -z "$SSH_AUTH_SOCK" && test ! -e /run/buildkit/ssh_agent.0 && echo ok > /after`,
      ].join("\n");
      const r = await build(body, ["--ssh", "default"], { SSH_AUTH_SOCK: agentSock() });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(mismatches(await store.files(r.tag), { "/sock": { content: "600 0 0\n" }, "/after": { content: "ok\n" } })).toEqual([]);
      expect(await stubsInLayers(r.tag)).toEqual([]);
      using s = await Store.open({ root: store.root });
      expect((await s.getImage(r.tag)).config.config?.Env).toEqual(["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
    });

    const client = agentClient();
    const noClient = skipReason(!client.ok, `RUN talking to an agent needs a static C client in the image: ${client.reason}`);
    afterAll(() => disposeAgentClient());

    test.skipIf(noClient)("RUN talks to the agent through the socket (id=, target=, mode, uid); the agent sees the bytes", async () => {
      received.length = 0;
      const body = `RUN --mount=type=ssh,id=gh,target=/tmp/agent.sock,mode=0660,uid=5 --mount=type=bind,source=uds,target=/uds sh -c 'test "$(stat -c "%a %u" /tmp/agent.sock)" = "660 5" && printf hello-agent | /uds > /answer'`;
      const r = await build(body, ["--ssh", `gh=${agentSock()}`], {}, { uds: client.path! });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(received.join("")).toBe("hello-agent");
      expect(mismatches(await store.files(r.tag), { "/answer": { content: "pong" }, "/tmp/agent.sock": null })).toEqual([]);
    });

    test.skipIf(noClient || skipReason(!canRunSshAgent, "no ssh-agent/ssh-add/ssh-keygen on this host"))("a real ssh-agent lists its key to RUN (SSH_AGENTC_REQUEST_IDENTITIES)", async () => {
      await using agent = await startSshAgent();
      // Message: length 1, type 11; the answer (type 12) holds the key's comment.
      const body = `RUN --mount=type=ssh --mount=type=bind,source=uds,target=/uds sh -c 'printf "\\0\\0\\0\\1\\13" | /uds > /tmp/ids && grep -q ${agent.comment} /tmp/ids && echo listed > /proof'`;
      const r = await build(body, ["--ssh", "default"], { SSH_AUTH_SOCK: agent.socket }, { uds: client.path! });
      expect(r.stderr).toBe("");
      expect(r.exitCode).toBe(0);
      expect(mismatches(await store.files(r.tag), { "/proof": { content: "listed\n" } })).toEqual([]);
    });

    const refused: [string, string, string[], Record<string, string>, number, string][] = [
      ["a required agent not provided fails at its line", "RUN --mount=type=ssh,id=gh,required true", [], {}, 1, "Dockerfile:2: RUN --mount=type=ssh,id=gh,required: ssh agent gh: not found"],
      ["--ssh default without SSH_AUTH_SOCK", "RUN true", ["--ssh", "default"], { SSH_AUTH_SOCK: "" }, 2, "--ssh default: SSH_AUTH_SOCK is not set"],
    ];
    for (const [name, body, args, env, code, message] of refused) {
      test(name, async () => {
        const r = await build(body, args, env);
        expect(r.exitCode).toBe(code);
        expect(r.stderr).toContain(message);
      });
    }

    test("a key file is refused: only agent sockets are forwarded", async () => {
      const r = await build("RUN true", ["--ssh", `default=${src.join("tok")}`]);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toContain("is not a socket; kiln forwards ssh-agent sockets only, not key files");
    });
  });
});
