/**
 * `kiln build --secret` and `--ssh`, parsed as docker buildx parses them
 * (buildx build/secrets.go, build/ssh.go; BuildKit session/secrets and
 * session/sshforward/sshprovider):
 *
 *   --secret id=ID[,src=PATH|source=PATH][,env=VAR][,type=file|env]
 *   --ssh default|ID[=SOCKET]
 *
 * A secret with only `id=X` is the environment variable X when it is set,
 * otherwise the file ./X (BuildKit's order); neither is a usage error. A
 * file is checked now and read when a RUN step that mounts it runs (a cached
 * step never reads it). An env secret's value is taken now. An --ssh value
 * without a socket is $SSH_AUTH_SOCK; only agent sockets are forwarded, not
 * key files (BuildKit loads those into an in-memory agent; kiln does not).
 */
import { statSync } from "node:fs";
import { resolve } from "node:path";
import { UsageError } from "../errors.ts";
import { splitCsvLine } from "../dockerfile/index.ts";

/** BuildKit's limit (secretsprovider.MaxSecretSize): secrets are small things, not files to ship. */
export const MAX_SECRET_SIZE = 500 * 1024;

type SecretSource = { kind: "file"; path: string } | { kind: "env"; name: string; value: string };

/** What the command line provides to RUN --mount=type=secret|ssh. */
export interface BuildSecrets {
  /** id → where its bytes come from. */
  secrets: Map<string, SecretSource>;
  /** id → the host agent socket forwarded for it. */
  ssh: Map<string, string>;
}

export const noSecrets = (): BuildSecrets => ({ secrets: new Map(), ssh: new Map() });

const SECRET_HINT = "use --secret id=ID,src=FILE or --secret id=ID,env=VAR";

/** One --secret value → [id, source]. `cwd` resolves relative paths. */
export function parseSecretFlag(value: string, env: Record<string, string | undefined>, cwd: string): [string, SecretSource] {
  let fields: string[];
  try {
    fields = splitCsvLine(value);
  } catch (err) {
    throw new UsageError(`invalid --secret "${value}": ${(err as Error).message}`, { hint: SECRET_HINT });
  }
  let id = "";
  let src = "";
  let envName = "";
  let type = "";
  for (const field of fields) {
    const eq = field.indexOf("=");
    if (eq < 0) throw new UsageError(`invalid --secret field '${field}': must be a key=value pair`, { hint: SECRET_HINT });
    const key = field.slice(0, eq).toLowerCase();
    const v = field.slice(eq + 1);
    if (key === "id") id = v;
    else if (key === "src" || key === "source") src = v;
    else if (key === "env") envName = v;
    else if (key === "type") {
      if (v !== "file" && v !== "env") throw new UsageError(`unsupported --secret type "${v}"`, { hint: "type=file or type=env" });
      type = v;
    } else throw new UsageError(`unexpected key '${key}' in --secret '${field}'`, { hint: SECRET_HINT });
  }
  // buildx: `type=env,src=VAR` names the variable.
  if (type === "env" && !envName) [envName, src] = [src, ""];
  if (!id) throw new UsageError(`invalid --secret "${value}": the id is missing`, { hint: SECRET_HINT });
  if (envName && src) throw new UsageError(`invalid --secret "${value}": give src= or env=, not both`, { hint: SECRET_HINT });
  if (!envName && !src) {
    if (env[id] !== undefined) envName = id;
    else if (type !== "env") src = id;
  }
  if (envName) {
    const v = env[envName];
    if (v === undefined) throw new UsageError(`--secret ${id}: the environment variable ${envName} is not set`, { hint: `export ${envName}, or use src=FILE` });
    if (Buffer.byteLength(v) > MAX_SECRET_SIZE) throw tooBig(id);
    return [id, { kind: "env", name: envName, value: v }];
  }
  const path = resolve(cwd, src);
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new UsageError(`--secret ${id}: ${src} is not a regular file`, { hint: SECRET_HINT });
    size = st.size;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const how = src === id ? `there is no environment variable ${id} and no file ${src}` : `the file ${src} does not exist`;
    throw new UsageError(`--secret ${id}: ${how}`, { hint: SECRET_HINT });
  }
  if (size > MAX_SECRET_SIZE) throw tooBig(id);
  return [id, { kind: "file", path }];
}

function tooBig(id: string): UsageError {
  return new UsageError(`--secret ${id}: the secret is larger than ${MAX_SECRET_SIZE} bytes`, { hint: "secrets are for tokens and keys; COPY or a bind mount carries larger files" });
}

/** One --ssh value → [id, agent socket]. */
export function parseSshFlag(value: string, env: Record<string, string | undefined>, cwd: string): [string, string] {
  const eq = value.indexOf("=");
  const id = eq < 0 ? value : value.slice(0, eq);
  const paths = eq < 0 ? [] : value.slice(eq + 1).split(",").filter((p) => p !== "");
  if (!id) throw new UsageError(`invalid --ssh "${value}": the id is missing`, { hint: "use --ssh default or --ssh ID=SOCKET" });
  if (paths.length > 1) throw new UsageError(`invalid --ssh "${value}": kiln forwards one agent socket per id`, { hint: "give one socket path" });
  const given = paths[0];
  const socket = given ?? env.SSH_AUTH_SOCK;
  if (!socket) {
    throw new UsageError(`--ssh ${id}: SSH_AUTH_SOCK is not set, so there is no agent to forward`, { hint: `start an agent (eval $(ssh-agent); ssh-add), or give its socket: --ssh ${id}=/path/to/agent.sock` });
  }
  const path = resolve(cwd, socket);
  let isSocket: boolean;
  try {
    isSocket = statSync(path).isSocket();
  } catch {
    throw new UsageError(`--ssh ${id}: ${socket} does not exist`, { hint: "give the path of a running ssh-agent's socket" });
  }
  if (!isSocket) {
    throw new UsageError(`--ssh ${id}: ${socket} is not a socket; kiln forwards ssh-agent sockets only, not key files`, {
      hint: `load the key into an agent (ssh-add ${socket}) and pass --ssh ${id} (or ${id}=$SSH_AUTH_SOCK)`,
    });
  }
  return [id, path];
}

/** All --secret and --ssh values of a build; a repeated id keeps the last (as buildx). */
export function parseBuildSecrets(secret: string[], ssh: string[], env: Record<string, string | undefined>, cwd: string): BuildSecrets {
  const out = noSecrets();
  for (const v of secret) out.secrets.set(...parseSecretFlag(v, env, cwd));
  for (const v of ssh) out.ssh.set(...parseSshFlag(v, env, cwd));
  return out;
}
