import { defineCommand } from "citty";
import { KilnError, StoreError, UsageError } from "../../errors.ts";
import { familiarName, parseReference, type ContainerConfig } from "../../image/index.ts";
import type { ImageRecord, Store } from "../../store/index.ts";
import { formatEach } from "./_format.ts";
import { inspectRemoteImages, remoteInspectArgs } from "./_inspect-remote.ts";
import { openStore, printOut } from "./_shared.ts";

/** Docker's container.Config as `docker image inspect` prints it: every field, in Go's order. */
function dockerConfig(c: ContainerConfig = {}): Record<string, unknown> {
  return {
    Hostname: "",
    Domainname: "",
    User: c.User ?? "",
    AttachStdin: false,
    AttachStdout: false,
    AttachStderr: false,
    ...(c.ExposedPorts ? { ExposedPorts: c.ExposedPorts } : {}),
    Tty: false,
    OpenStdin: false,
    StdinOnce: false,
    Env: c.Env ?? null,
    Cmd: c.Cmd ?? null,
    ...(c.Healthcheck ? { Healthcheck: c.Healthcheck } : {}),
    ...(c.ArgsEscaped ? { ArgsEscaped: c.ArgsEscaped } : {}),
    Image: "",
    Volumes: c.Volumes ?? null,
    WorkingDir: c.WorkingDir ?? "",
    Entrypoint: c.Entrypoint ?? null,
    OnBuild: c.OnBuild ?? null,
    Labels: c.Labels ?? null,
    ...(c.StopSignal ? { StopSignal: c.StopSignal } : {}),
    ...(c.Shell ? { Shell: c.Shell } : {}),
  };
}

/** The object `docker image inspect` prints for an image (Docker 20.10's shape, minus container fields). */
export function inspectImage(store: Store, rec: ImageRecord): Record<string, unknown> {
  const cfg = rec.config as ImageRecord["config"] & { comment?: string; docker_version?: string };
  const refs = rec.names.map((n) => parseReference(n));
  const lowers = rec.chainIds.every((c) => store.hasSnapshot(c)) ? rec.chainIds.map((c) => store.snapshotPath(c)).reverse() : [];
  return {
    Id: rec.id,
    RepoTags: refs.map(familiarName),
    // Only digests a registry gave (pull, push): an image built, imported or loaded here has none, as in Docker.
    RepoDigests: store.repoDigests(rec.id).map((d) => familiarName(parseReference(d))),
    Parent: rec.parent ?? "",
    Comment: cfg.comment ?? "",
    Created: cfg.created ?? "0001-01-01T00:00:00Z",
    DockerVersion: cfg.docker_version ?? "",
    Author: cfg.author ?? "",
    Config: dockerConfig(cfg.config),
    Architecture: cfg.architecture,
    ...(cfg.variant ? { Variant: cfg.variant } : {}),
    Os: cfg.os,
    Size: rec.size,
    VirtualSize: rec.size,
    GraphDriver: { Data: lowers.length > 0 ? { LowerDir: lowers.join(":") } : null, Name: "kiln-snapshots" },
    RootFS: { Type: "layers", Layers: rec.diffIds },
    Metadata: { LastTagTime: "0001-01-01T00:00:00Z" },
  };
}

/** MarshalIndent with 4 spaces and Go's HTML escaping, as the docker CLI prints inspect output. */
function dockerJson(v: unknown): string {
  return JSON.stringify(v, null, 4).replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

export default defineCommand({
  meta: { name: "inspect", description: "Display detailed information on one or more images" },
  args: {
    images: { type: "positional", multiple: true, description: "IMAGE [IMAGE...]" },
    format: { type: "string", alias: ["f"], description: "Format output using a custom template ('json' or a Go template)", valueHint: "string" },
    type: { type: "string", description: "Only inspect objects of the given type (image)", valueHint: "string" },
    ...remoteInspectArgs,
  },
  async run({ args }) {
    const names = args.images as unknown as string[];
    if (names.length === 0) throw new UsageError('"kiln inspect" requires at least 1 argument', { hint: "See 'kiln inspect --help'." });
    if (args.type !== undefined && args.type !== "image") throw new UsageError(`"${args.type}" is not a valid value for --type`, { hint: "kiln inspects images only" });
    const format = typeof args.format === "string" ? args.format : "";
    if (args.remote) {
      const remote = await inspectRemoteImages(names, args);
      printOut(format && format !== "json" ? formatEach(format, remote) : `${dockerJson(remote)}\n`);
      return;
    }
    using store = await openStore();
    const found: unknown[] = [];
    const missing: KilnError[] = [];
    for (const name of names) {
      try {
        found.push(inspectImage(store, await store.getImage(name)));
      } catch (err) {
        if (!(err instanceof KilnError) || err.code !== "E_IMAGE_NOT_FOUND") throw err;
        missing.push(err);
      }
    }
    printOut(format && format !== "json" ? formatEach(format, found) : `${dockerJson(found)}\n`);
    if (missing.length > 0) throw new StoreError("E_IMAGE_NOT_FOUND", missing.map((e) => e.message).join("\nError: "), { hint: missing[0]!.hint });
  },
});
