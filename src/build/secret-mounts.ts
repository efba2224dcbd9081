/**
 * RUN --mount=type=secret and type=ssh, with BuildKit's meaning
 * (dockerfile2llb convert_secrets.go / convert_ssh.go, llb exec.go):
 *
 * - secret: the id defaults to the base name of the target; the target to
 *   /run/secrets/ID, except that `env=VAR` without a target sets only the
 *   variable. File mode 0400, owner 0:0 unless mode/uid/gid say otherwise.
 * - ssh: id `default`; target /run/buildkit/ssh_agent.N (N counts the ssh
 *   mounts of the step); SSH_AUTH_SOCK names the first one, for this RUN only.
 * - Not provided on the command line: an error when `required`, otherwise
 *   the mount is left out (and an env secret's variable unset).
 *
 * Where the secret goes: a file in a fresh 0700 dir on /dev/shm (tmpfs; the
 * build's temp dir when there is none), bind-mounted read-only, removed when
 * the step ends. The sandbox places mount points in its init layer, so
 * neither the file nor /run/secrets reaches the upper dir, i.e. the layer.
 * The cache key holds the mount's spec (id, target, env, mode, owner), never
 * the secret's bytes: as in BuildKit, changing a secret's value keeps the
 * cache hit (use --no-cache, or a build arg, to force a rerun). The value
 * never appears in the image config, the history or kiln's output.
 */
import { chmodSync, chownSync, mkdtempSync, rmSync } from "node:fs";
import { basename, join } from "node:path";
import { BuildError } from "../errors.ts";
import type { RunMount } from "../dockerfile/index.ts";
import type { HostMount } from "./executor.ts";
import type { BuildSecrets } from "./secrets.ts";
import { forwardAgent } from "./ssh-forward.ts";

/** What a mount adds to the step's container: bind mounts, environment, and what to undo afterwards. */
export interface MountPart {
  mounts: HostMount[];
  env: string[];
  cleanup?: () => Promise<void> | void;
}

interface PlannedMount {
  /** The mount's share of the step's cache key. */
  key: string;
  /** Make it, on a cache miss; `tmp` is the step's temp dir. */
  make(tmp: string): Promise<MountPart>;
}

const ownerPart = (m: RunMount, mode: number) => `${(m.mode ?? mode).toString(8)}:${m.uid ?? 0}:${m.gid ?? 0}`;

/** A 0700 dir for secret files: tmpfs when the host has /dev/shm, else under the step's temp dir. */
function privateDir(tmp: string): string {
  for (const base of ["/dev/shm", tmp]) {
    try {
      return mkdtempSync(join(base, "kiln-secret-"));
    } catch {
      // no /dev/shm, or not writable: the next one
    }
  }
  throw new BuildError("E_BUILD", "could not create a private directory for a secret", { hint: "check that /dev/shm or the store's temp dir is writable" });
}

function setOwner(path: string, m: RunMount, mode: number): void {
  try {
    chownSync(path, m.uid ?? 0, m.gid ?? 0);
  } catch (err) {
    throw new BuildError("E_BUILD", `RUN --mount=${m.raw}: cannot give the mount to ${m.uid ?? 0}:${m.gid ?? 0} (${(err as Error).message})`, {
      hint: "use a uid and gid this user namespace maps (kiln doctor shows the subordinate id ranges)",
    });
  }
  chmodSync(path, m.mode ?? mode);
}

function notProvided(m: RunMount, what: string, flag: string): BuildError {
  return new BuildError("E_BUILD", `RUN --mount=${m.raw}: ${what}: not found`, { hint: `pass it with kiln build ${flag}, or mark the mount optional (drop required)` });
}

/** RUN --mount=type=secret. `target` is already absolute (relative ones joined to the workdir). */
export function planSecretMount(m: RunMount, target: string | undefined, secrets: BuildSecrets): PlannedMount {
  const id = m.source || m.id || (target ? basename(target) : "");
  if (!id) throw new BuildError("E_BUILD", `RUN --mount=${m.raw}: one of id, source or target is required`, { hint: "add id=NAME" });
  const file = target ?? (m.env ? undefined : `/run/secrets/${basename(id)}`);
  return {
    key: `secret:${id}:${file ?? ""}:${m.env ?? ""}:${m.required ? "required" : "optional"}:${ownerPart(m, 0o400)}`,
    make: async (tmp) => {
      const source = secrets.secrets.get(id);
      if (!source) {
        if (m.required) throw notProvided(m, `secret ${id}`, `--secret id=${id},src=FILE`);
        return { mounts: [], env: [] };
      }
      const bytes = source.kind === "env" ? Buffer.from(source.value) : await readSecretFile(id, source.path);
      const env = m.env ? [`${m.env}=${bytes.toString()}`] : [];
      if (!file) return { mounts: [], env };
      const dir = privateDir(tmp);
      const path = join(dir, "secret");
      try {
        await Bun.write(path, bytes, { mode: 0o400 });
        setOwner(path, m, 0o400);
      } catch (err) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      return { mounts: [{ source: path, target: file, readonly: true }], env, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  };
}

async function readSecretFile(id: string, path: string): Promise<Buffer> {
  try {
    return Buffer.from(await Bun.file(path).arrayBuffer());
  } catch (err) {
    throw new BuildError("E_BUILD", `secret ${id}: cannot read ${path} (${(err as Error).message})`, { hint: "the file given with --secret must stay readable during the build" });
  }
}

/** RUN --mount=type=ssh; `index` counts the ssh mounts of the step (for the default target). */
export function planSshMount(m: RunMount, target: string | undefined, index: number, secrets: BuildSecrets): PlannedMount {
  if (m.source) throw new BuildError("E_BUILD", `RUN --mount=${m.raw}: ssh does not support source`, { hint: "use id=NAME and kiln build --ssh NAME=SOCKET" });
  const id = m.id || "default";
  const socketPath = target ?? `/run/buildkit/ssh_agent.${index}`;
  return {
    key: `ssh:${id}:${socketPath}:${m.required ? "required" : "optional"}:${ownerPart(m, 0o600)}`,
    make: async (tmp) => {
      // BuildKit names the first ssh mount in SSH_AUTH_SOCK, provided or not.
      const env = index === 0 ? [`SSH_AUTH_SOCK=${socketPath}`] : [];
      const agent = secrets.ssh.get(id);
      if (!agent) {
        if (m.required) throw notProvided(m, `ssh agent ${id}`, id === "default" ? "--ssh default" : `--ssh ${id}=SOCKET`);
        return { mounts: [], env };
      }
      // A socket of our own that relays to the agent: its mode and owner are the mount's, the user's agent socket is left alone.
      const dir = privateDir(tmp);
      const proxy = join(dir, "agent.sock");
      const forward = await forwardAgent(agent, proxy);
      try {
        setOwner(proxy, m, 0o600);
      } catch (err) {
        await forward.close();
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
      return {
        mounts: [{ source: proxy, target: socketPath, readonly: true }],
        env,
        cleanup: async () => {
          await forward.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}
