// The base images made on first use (see base-images.ts for the list): the
// Debian-made stand-ins for quay.io images. Each is memoised per process;
// one that cannot be made here (no root, no debootstrap, no Debian mirror)
// rejects with the reason, and the cases that need it are skipped with it.
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { sha256File } from "../../src/util/digest.ts";
import { BASE_NAMES, BASES_DIR, busyboxEntries, busyboxSource, writeTar, type BaseImage, type BaseKey, type Spec } from "./base-images.ts";
import { debianUnavailable, glibcFiles, makeCentosStandIn, makePythonStandIn } from "./debian-bases.ts";
import { DEBIAN_TARBALL } from "../e2e-redis/e2e-lib.ts";

export type StandInKey = Exclude<BaseKey, "busybox" | "alpine">;

const CHANGES: Record<StandInKey, string[]> = {
  centos7: ['CMD ["/bin/bash"]'],
  "busybox-glibc": ['CMD ["sh"]'],
  python311: ["USER 1001", 'CMD ["/bin/bash"]'],
};

/** busybox + glibc in /lib, /lib64 → lib (docker-library busybox:glibc's layout). */
async function makeBusyboxGlibc(dir: string): Promise<string> {
  const out = join(dir, "busybox-glibc-rootfs.tar");
  if (existsSync(out)) return out;
  const libs = await glibcFiles(await makeCentosStandIn(dir));
  const { binary, applets } = await busyboxSource();
  const entries: Spec[] = [
    ...busyboxEntries(binary, applets),
    { name: "lib/", type: "directory", mode: 0o755, uid: 0, gid: 0 },
    ...[...libs].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, content]): Spec => ({ name: `lib/${name}`, type: "file", mode: 0o755, uid: 0, gid: 0, content })),
    { name: "lib64", type: "symlink", linkname: "lib", mode: 0o777, uid: 0, gid: 0 },
  ];
  await writeTar(out, entries);
  return out;
}

const MAKERS: Record<StandInKey, { make: (dir: string) => Promise<string>; cached: (dir: string) => string[] }> = {
  centos7: { make: makeCentosStandIn, cached: (dir) => [join(dir, "debian-bookworm-slim-shbash.tar"), DEBIAN_TARBALL] },
  "busybox-glibc": { make: makeBusyboxGlibc, cached: (dir) => [join(dir, "busybox-glibc-rootfs.tar"), DEBIAN_TARBALL] },
  python311: { make: makePythonStandIn, cached: (dir) => [join(dir, "debian-bookworm-slim-binutils.tar")] },
};

const made = new Map<string, Promise<BaseImage>>();

/** The stand-in `key`, its rootfs made (once) into `dir`. */
export function makeStandIn(key: StandInKey, dir = BASES_DIR): Promise<BaseImage> {
  const id = `${dir}\0${key}`;
  let p = made.get(id);
  if (!p) {
    p = (async () => {
      // Any one of the files is enough: each is made from the next.
      const m = MAKERS[key];
      const why = debianUnavailable(m.cached(dir));
      if (why) throw new Error(`the ${key} stand-in cannot be made here: ${why}`);
      mkdirSync(dir, { recursive: true });
      const rootfs = await m.make(dir);
      return { key, names: BASE_NAMES[key], rootfs, changes: CHANGES[key], digest: (await sha256File(rootfs)).digest };
    })();
    made.set(id, p);
  }
  return p;
}
