/**
 * `kiln build -v HOST:CTR[:ro|rw]`: Buildah's `bud -v` and Podman's `build
 * -v` (Docker has none). The host path is bind-mounted into every RUN
 * container of the build; what a RUN writes there goes to the host, never
 * into a layer, and the mounts are not part of any cache key (as in Buildah:
 * a rebuild with other volumes hits the cache).
 */
import { existsSync } from "node:fs";
import { posix, resolve } from "node:path";
import { UsageError } from "../../errors.ts";

export interface BuildVolume {
  source: string;
  target: string;
  readonly?: boolean;
}

const HINT = "use -v HOST-PATH:CONTAINER-PATH[:ro|rw]";

/** One -v value; a relative host path is relative to `cwd` and must exist. */
export function parseBuildVolume(spec: string, cwd: string): BuildVolume {
  const parts = spec.split(":");
  if (parts.length < 2 || parts.length > 3 || parts[0] === "" || parts[1] === "") throw new UsageError(`invalid --volume "${spec}"`, { hint: HINT });
  const [host, target, opts] = parts as [string, string, string | undefined];
  if (!target.startsWith("/")) throw new UsageError(`invalid --volume "${spec}": the container path must be absolute`, { hint: HINT });
  let readonly = false;
  for (const o of (opts ?? "").split(",").filter((x) => x !== "")) {
    if (o === "ro" || o === "rw") readonly = o === "ro";
    // SELinux relabelling and propagation options change nothing on a host without them: accepted, as Buildah does.
    else if (!/^(z|Z|r?(shared|slave|private)|r?bind)$/.test(o)) throw new UsageError(`invalid --volume "${spec}": unknown option "${o}"`, { hint: HINT });
  }
  const source = resolve(cwd, host);
  if (!existsSync(source)) throw new UsageError(`--volume ${spec}: ${source} does not exist`, { hint: "create the host path first (kiln build does not create it)" });
  return { source, target: posix.resolve("/", target), ...(readonly ? { readonly } : {}) };
}

export function parseBuildVolumes(specs: string[], cwd: string): BuildVolume[] {
  return specs.map((s) => parseBuildVolume(s, cwd));
}
