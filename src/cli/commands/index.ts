import type { CommandDef } from "citty";

type Loader = () => Promise<CommandDef<any>>;

const load = (m: Promise<{ default: CommandDef<any> }>) => m.then((x) => x.default);

/**
 * Command name → lazy loader. Literal import specifiers only: `bun build
 * --compile` cannot split chunks, and a computed specifier would not be
 * bundled into the standalone binary.
 */
export const commands: Record<string, Loader> = Object.assign(Object.create(null), {
  build: () => load(import("./build.ts")),
  check: () => load(import("./check.ts")),
  run: () => load(import("./run.ts")),
  ps: () => load(import("./ps.ts")),
  logs: () => load(import("./logs.ts")),
  stop: () => load(import("./stop.ts")),
  rm: () => load(import("./rm.ts")),
  images: () => load(import("./images.ts")),
  inspect: () => load(import("./inspect.ts")),
  history: () => load(import("./history.ts")),
  tag: () => load(import("./tag.ts")),
  rmi: () => load(import("./rmi.ts")),
  import: () => load(import("./import.ts")),
  save: () => load(import("./save.ts")),
  load: () => load(import("./load.ts")),
  prune: () => load(import("./prune.ts")),
  pull: () => load(import("./pull.ts")),
  push: () => load(import("./push.ts")),
  login: () => load(import("./login.ts")),
  logout: () => load(import("./logout.ts")),
  doctor: () => load(import("./doctor.ts")),
  unshare: () => load(import("./unshare.ts")),
  version: () => load(import("./version.ts")),
});

/** One-line descriptions for `kiln --help`, without loading every command. */
export const summaries: Record<string, string> = {
  build: "Build an image from a Dockerfile",
  check: "Parse and validate a Dockerfile",
  run: "Run a command in a new container",
  ps: "List containers",
  logs: "Fetch the logs of a container",
  stop: "Stop running containers",
  rm: "Remove containers",
  images: "List images",
  inspect: "Show low-level information on images",
  history: "Show the history of an image",
  tag: "Create a tag TARGET_IMAGE that refers to SOURCE_IMAGE",
  rmi: "Remove images",
  import: "Import a root filesystem tarball as an image",
  save: "Save images to a tar archive",
  load: "Load images from a tar archive",
  prune: "Remove dangling images, unused blobs and snapshots (-a: the build cache too)",
  pull: "Download an image from a registry",
  push: "Upload an image to a registry",
  login: "Log in to a registry",
  logout: "Log out from a registry",
  doctor: "Check that this host can run kiln",
  unshare: "Run a command inside kiln's user namespace",
  version: "Show the kiln version",
};
