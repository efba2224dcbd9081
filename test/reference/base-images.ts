// Base images made locally, from the same bytes for every builder, under the
// names the conformance cases use. No registry is reachable here, so the
// official images are rebuilt from what the host has:
// - busybox: Debian's busybox-static laid out like the official image
//   (docker-library/busybox: /bin/busybox with one HARD link per applet in
//   /bin, buildroot's skeleton passwd/group/shadow, home dirs, CMD ["sh"]);
// - alpine: Alpine's official minirootfs (FROM scratch, ADD it, CMD ["/bin/sh"]);
// - stand-ins made from Debian for quay.io images (./debian-bases.ts).
//
// FROM lines of /work/shared/conformance/buildah, and who serves them:
//   mirror.gcr.io/busybox → busybox     mirror.gcr.io/alpine → alpine
//   quay.io/libpod/centos:7 → centos7 (Debian stand-in)
//   quay.io/libpod/busybox (no digest: TARGETARCH is unset in the classic builder) → busybox-glibc
//   quay.io/fedora/python-311 → python311 (Debian stand-in with binutils)
// busybox and alpine are made for every session; the stand-ins on first use.
import { existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { pack, type Header } from "tar-stream";
import { sha256File } from "../../src/util/digest.ts";
import { capture } from "../../src/util/spawn.ts";

export const BASES_DIR = process.env.KILN_REF_BASES ?? "/var/tmp/kiln-ref-bases";
const ALPINE_TARBALL = "images/alpine-minirootfs-3.20.3-x86_64.tar.gz";
/** Fixed mtime for generated entries, so the rootfs tar is the same bytes on every run. */
const EPOCH = new Date("2024-01-01T00:00:00Z");

export type BaseKey = "busybox" | "alpine" | "centos7" | "busybox-glibc" | "python311";

export interface BaseImage {
  key: BaseKey;
  /** Every name the cases use; the first is the canonical one. */
  names: string[];
  /** Plain (uncompressed) rootfs tar: the same bytes go to Docker, Buildah and kiln. */
  rootfs: string;
  /** Applied at import, in `docker import --change` syntax. */
  changes: string[];
  /** sha256 of `rootfs` (also Docker's diff id of the imported layer). */
  digest: string;
}

export const BASE_NAMES: Record<BaseKey, string[]> = {
  busybox: ["mirror.gcr.io/busybox:latest", "busybox:latest"],
  alpine: ["mirror.gcr.io/alpine:latest", "alpine:latest"],
  centos7: ["quay.io/libpod/centos:7"],
  "busybox-glibc": ["quay.io/libpod/busybox:latest"],
  python311: ["quay.io/fedora/python-311:latest"],
};

/** What a stand-in is, for the case list and reports. */
export const STAND_INS: Partial<Record<BaseKey, string>> = {
  centos7: "Debian bookworm minbase (slim) stand-in, /bin/sh → bash as on CentOS: no quay.io here; bash, coreutils, findutils and the users lp/adm/mail/bin exist, with Debian's ids",
  "busybox-glibc": "busybox stand-in plus Debian's glibc in /lib (/lib64 → lib), as busybox:glibc carries it",
  python311: "Debian bookworm minbase (slim) + binutils stand-in (for readelf), USER 1001",
};

/** The base key serving image reference `ref` (normalised with a tag), if any. */
export function baseKeyFor(ref: string): BaseKey | undefined {
  return (Object.keys(BASE_NAMES) as BaseKey[]).find((k) => BASE_NAMES[k].includes(ref));
}

// buildroot system/skeleton/etc, as copied by docker-library/busybox.
const PASSWD = `root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
`;
const GROUP = `root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nogroup:x:65534:
`;
const SHADOW = PASSWD.split("\n").filter(Boolean).map((l) => `${l.split(":")[0]}:*:::::::`).join("\n") + "\n";
const NSSWITCH = `passwd:         files
group:          files
shadow:         files
hosts:          files dns
networks:       files
protocols:      db files
services:       db files
ethers:         db files
rpc:            db files
`;

export type Spec = Partial<Header> & { name: string; content?: string | Buffer };

/** The entries of the busybox rootfs, parents before children. */
export function busyboxEntries(busybox: Buffer, applets: string[]): Spec[] {
  const dir = (name: string, mode = 0o755, uid = 0, gid = 0): Spec => ({ name: `${name}/`, type: "directory", mode, uid, gid });
  const file = (name: string, content: string | Buffer, mode = 0o644): Spec => ({ name, type: "file", mode, uid: 0, gid: 0, content });
  return [
    dir("bin"),
    file("bin/busybox", busybox, 0o755),
    ...applets.filter((a) => a !== "busybox").sort().map((a): Spec => ({ name: `bin/${a}`, type: "link", linkname: "bin/busybox", mode: 0o755, uid: 0, gid: 0 })),
    dir("dev"),
    dir("etc"),
    file("etc/group", GROUP),
    dir("etc/network"),
    ...["if-down.d", "if-post-down.d", "if-pre-up.d", "if-up.d"].map((d) => dir(`etc/network/${d}`)),
    file("etc/nsswitch.conf", NSSWITCH),
    file("etc/passwd", PASSWD),
    file("etc/shadow", SHADOW, 0o600),
    dir("home", 0o755, 65534, 65534),
    dir("root", 0o700),
    dir("tmp", 0o1777),
    dir("usr"),
    dir("usr/sbin", 0o755, 1, 1),
    dir("var"),
    dir("var/spool"),
    dir("var/spool/mail", 0o755, 8, 8),
    dir("var/www"),
  ];
}

/** Write `entries` as a plain tar to `path` (atomically). */
export async function writeTar(path: string, entries: Spec[]): Promise<void> {
  const p = pack();
  const tmp = `${path}.tmp-${process.pid}`;
  const done = Bun.write(tmp, new Response(p as unknown as ReadableStream));
  for (const { content, ...h } of entries) {
    await new Promise<void>((res, rej) => p.entry({ mtime: EPOCH, ...h }, content ?? "", (err) => (err ? rej(err) : res())));
  }
  p.finalize();
  await done;
  renameSync(tmp, path);
}

/** The host's static busybox and its applet names. */
export async function busyboxSource(): Promise<{ binary: Buffer; applets: string[] }> {
  const bin = ["/bin/busybox", "/usr/bin/busybox"].find(existsSync);
  if (!bin) throw new Error("busybox-static is not installed (apt-get install busybox-static)");
  const list = await capture([bin, "--list"]);
  if (list.exitCode !== 0) throw new Error(`${bin} --list failed: ${list.stderr}`);
  return { binary: readFileSync(bin), applets: list.stdout.split("\n").filter(Boolean) };
}

async function makeBusybox(dir: string): Promise<string> {
  const out = join(dir, "busybox-rootfs.tar");
  if (existsSync(out)) return out;
  const { binary, applets } = await busyboxSource();
  await writeTar(out, busyboxEntries(binary, applets));
  return out;
}

async function makeAlpine(dir: string, shared: string): Promise<string> {
  const out = join(dir, "alpine-rootfs.tar");
  if (existsSync(out)) return out;
  const tmp = `${out}.tmp-${process.pid}`;
  await Bun.write(tmp, gunzipSync(readFileSync(join(shared, ALPINE_TARBALL))));
  renameSync(tmp, out);
  return out;
}

/** The base images, their rootfs tars made once into `dir`. Alpine needs the shared images folder. */
export async function makeBaseImages(shared: string | undefined, dir = BASES_DIR): Promise<BaseImage[]> {
  mkdirSync(dir, { recursive: true });
  const bases: BaseImage[] = [];
  const busybox = await makeBusybox(dir);
  bases.push({ key: "busybox", names: BASE_NAMES.busybox, rootfs: busybox, changes: ['CMD ["sh"]'], digest: (await sha256File(busybox)).digest });
  if (shared && existsSync(join(shared, ALPINE_TARBALL))) {
    const alpine = await makeAlpine(dir, shared);
    bases.push({ key: "alpine", names: BASE_NAMES.alpine, rootfs: alpine, changes: ['CMD ["/bin/sh"]'], digest: (await sha256File(alpine)).digest });
  }
  return bases;
}
