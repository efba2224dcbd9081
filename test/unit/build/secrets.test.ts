// --secret / --ssh values as buildx parses them, and what RUN
// --mount=type=secret|ssh mean (ids, default targets, key parts, required),
// against real files and a real unix socket in a temp dir.
import { afterAll, describe, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { KilnError } from "../../../src/errors.ts";
import { parseMount } from "../../../src/dockerfile/run-mount.ts";
import { planSecretMount, planSshMount } from "../../../src/build/secret-mounts.ts";
import { MAX_SECRET_SIZE, noSecrets, parseSecretFlag, parseSshFlag, type BuildSecrets } from "../../../src/build/secrets.ts";
import { tempDir } from "../../harness.ts";

const dir = tempDir("secrets-unit", { tok: "s3cret", big: "x".repeat(MAX_SECRET_SIZE + 1) });
const agent = Bun.listen({ unix: dir.join("agent.sock"), socket: { data() {} } });
afterAll(() => {
  agent.stop(true);
  dir[Symbol.dispose]();
});

const env = { MYTOK: "from-env", tok2: "id-named-var", SSH_AUTH_SOCK: dir.join("agent.sock") };

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(KilnError);
    expect((err as KilnError).code).toBe("E_USAGE");
    return (err as Error).message;
  }
  throw new Error("expected a usage error");
}

describe("--secret values", () => {
  const ok: [string, string, string, unknown][] = [
    ["id and src", "id=a,src=tok", "a", { kind: "file", path: dir.join("tok") }],
    ["source is src", "id=a,source=tok", "a", { kind: "file", path: dir.join("tok") }],
    ["type=file", "type=file,id=a,src=tok", "a", { kind: "file", path: dir.join("tok") }],
    ["env=VAR", "id=a,env=MYTOK", "a", { kind: "env", name: "MYTOK", value: "from-env" }],
    ["type=env takes src as the variable", "type=env,id=a,src=MYTOK", "a", { kind: "env", name: "MYTOK", value: "from-env" }],
    ["only id: the variable of that name first", "id=tok2", "tok2", { kind: "env", name: "tok2", value: "id-named-var" }],
    ["only id: else the file of that name", "id=tok", "tok", { kind: "file", path: dir.join("tok") }],
    ["keys are case-insensitive", "ID=a,SRC=tok", "a", { kind: "file", path: dir.join("tok") }],
  ];
  for (const [name, value, id, source] of ok) {
    test(name, () => expect(parseSecretFlag(value, env, dir.path)).toEqual([id, source as never]));
  }

  const bad: [string, string, RegExp][] = [
    ["missing file", "id=a,src=nope", /--secret a: the file nope does not exist/],
    ["only id, neither variable nor file", "id=zz", /there is no environment variable zz and no file zz/],
    ["unset variable", "id=a,env=UNSET_X", /the environment variable UNSET_X is not set/],
    ["no id", "src=tok", /the id is missing/],
    ["not key=value", "id=a,tok", /must be a key=value pair/],
    ["unknown key", "id=a,mode=0400", /unexpected key 'mode'/],
    ["unknown type", "id=a,type=ssh", /unsupported --secret type "ssh"/],
    ["src and env", "id=a,src=tok,env=MYTOK", /not both/],
    ["a directory", "id=a,src=.", /is not a regular file/],
    ["over BuildKit's size limit", "id=a,src=big", /larger than 512000 bytes/],
  ];
  for (const [name, value, re] of bad) test(`refused: ${name}`, () => expect(usageError(() => parseSecretFlag(value, env, dir.path))).toMatch(re));
});

describe("--ssh values", () => {
  const ok: [string, string, [string, string]][] = [
    ["default is $SSH_AUTH_SOCK", "default", ["default", dir.join("agent.sock")]],
    ["any id without a socket is $SSH_AUTH_SOCK", "gh", ["gh", dir.join("agent.sock")]],
    ["id=socket, relative to the cwd", "gh=agent.sock", ["gh", dir.join("agent.sock")]],
  ];
  for (const [name, value, want] of ok) test(name, () => expect(parseSshFlag(value, env, dir.path)).toEqual(want));

  const bad: [string, string, Record<string, string>, RegExp][] = [
    ["SSH_AUTH_SOCK unset", "default", {}, /SSH_AUTH_SOCK is not set/],
    ["a key file", "default=tok", env, /not a socket; kiln forwards ssh-agent sockets only, not key files/],
    ["a missing socket", "default=nope.sock", env, /nope.sock does not exist/],
    ["two paths", "default=agent.sock,tok", env, /one agent socket per id/],
    ["no id", "=agent.sock", env, /the id is missing/],
  ];
  for (const [name, value, e, re] of bad) test(`refused: ${name}`, () => expect(usageError(() => parseSshFlag(value, e, dir.path))).toMatch(re));
});

describe("RUN --mount=type=secret|ssh plans", () => {
  const provided: BuildSecrets = { secrets: new Map([["tok", { kind: "env", name: "T", value: "s3cret" }]]), ssh: new Map([["default", dir.join("agent.sock")]]) };
  const mount = (raw: string) => parseMount(raw);

  // [name, mount, target as planMounts passes it, key, env, bind target]
  const secretRows: [string, string, string | undefined, string, string[], string | undefined][] = [
    ["default target /run/secrets/ID", "type=secret,id=tok", undefined, "secret:tok:/run/secrets/tok::optional:400:0:0", [], "/run/secrets/tok"],
    ["id from the target's base name", "type=secret,target=/etc/tok", "/etc/tok", "secret:tok:/etc/tok::optional:400:0:0", [], "/etc/tok"],
    ["env= without target: the variable only", "type=secret,id=tok,env=TOKEN", undefined, "secret:tok::TOKEN:optional:400:0:0", ["TOKEN=s3cret"], undefined],
    ["env= and target: both", "type=secret,id=tok,env=TOKEN,target=/t", "/t", "secret:tok:/t:TOKEN:optional:400:0:0", ["TOKEN=s3cret"], "/t"],
    ["mode, uid, gid in the key", "type=secret,id=tok,mode=0440,uid=12,gid=34,required", undefined, "secret:tok:/run/secrets/tok::required:440:12:34", [], "/run/secrets/tok"],
  ];
  for (const [name, raw, target, key, wantEnv, bindTarget] of secretRows) {
    test(`secret: ${name}`, async () => {
      const plan = planSecretMount(mount(raw), target, provided);
      expect(plan.key).toBe(key);
      using tmp = tempDir("secret-plan");
      const part = await plan.make(tmp.path);
      expect(part.env).toEqual(wantEnv);
      expect(part.mounts.map((m) => m.target)).toEqual(bindTarget ? [bindTarget] : []);
      const file = part.mounts[0]?.source;
      if (file) {
        expect(part.mounts[0]!.readonly).toBe(true);
        expect(await Bun.file(file).text()).toBe("s3cret");
        expect(statSync(file).mode & 0o777).toBe(mount(raw).mode ?? 0o400);
        expect(statSync(dirname(file)).mode & 0o777).toBe(0o700);
      }
      await part.cleanup?.();
      if (file) expect(existsSync(file)).toBe(false);
    });
  }

  test("secret: a required one not provided fails; an optional one is left out", async () => {
    await expect(planSecretMount(mount("type=secret,id=nope,required"), undefined, noSecrets()).make("/nonexistent")).rejects.toThrow(/secret nope: not found/);
    expect(await planSecretMount(mount("type=secret,id=nope,env=X"), undefined, noSecrets()).make("/nonexistent")).toEqual({ mounts: [], env: [] });
  });

  const sshRows: [string, string, number, string, string][] = [
    ["first ssh mount", "type=ssh", 0, "ssh:default:/run/buildkit/ssh_agent.0:optional:600:0:0", "SSH_AUTH_SOCK=/run/buildkit/ssh_agent.0"],
    ["second ssh mount: N counts ssh mounts, SSH_AUTH_SOCK names the first", "type=ssh,id=default", 1, "ssh:default:/run/buildkit/ssh_agent.1:optional:600:0:0", ""],
  ];
  for (const [name, raw, index, key, sock] of sshRows) {
    test(`ssh: ${name}`, async () => {
      const plan = planSshMount(mount(raw), undefined, index, provided);
      expect(plan.key).toBe(key);
      using tmp = tempDir("ssh-plan");
      const part = await plan.make(tmp.path);
      expect(part.env).toEqual(sock ? [sock] : []);
      const relay = part.mounts[0]!.source;
      expect(statSync(relay).isSocket()).toBe(true);
      expect(statSync(relay).mode & 0o777).toBe(0o600);
      await part.cleanup?.();
      expect(existsSync(relay)).toBe(false);
    });
  }

  test("ssh: a required agent not provided fails", async () => {
    await expect(planSshMount(mount("type=ssh,id=gh,required"), "/s", 0, provided).make("/nonexistent")).rejects.toThrow(/ssh agent gh: not found/);
  });
});
