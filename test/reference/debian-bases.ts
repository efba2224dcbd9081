// Stand-ins, made from Debian, for base images the Buildah suite pulls from
// quay.io (unreachable here). Every stand-in is one plain rootfs tar: the
// same bytes go to Docker (docker import), Buildah and kiln (kiln import), so
// the comparison stays fair even though the image is not the original.
//
// - quay.io/libpod/centos:7 → Debian bookworm minbase (debootstrap), cleaned
//   like debian:bookworm-slim (no apt lists or .debs, no docs, man pages or
//   locales, an empty /dev), /bin/sh → bash and CMD ["/bin/bash"] as on
//   centos:7 (RUN uses /bin/sh; dash has no `printf %q`). The cases use
//   bash (`printf %q`), touch, find, ls, env and the users/groups lp, adm,
//   mail, bin: Debian has them all, with other ids than CentOS.
// - quay.io/fedora/python-311 → the same, debootstrapped with binutils (the
//   one case using it runs `readelf`); USER 1001 like the original.
// - quay.io/libpod/busybox → the busybox stand-in plus glibc in /lib and
//   /lib64 → lib, as docker-library's busybox:glibc (the case copies
//   /lib64/libc.so.6 out of it); glibc comes from the same Debian rootfs,
//   busybox itself stays Debian's static build.
import { createReadStream, createWriteStream, existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createGunzip } from "node:zlib";
import { pipeline } from "node:stream/promises";
import { extract, pack, type Header } from "tar-stream";
import { debianTarball } from "../e2e-redis/e2e-lib.ts";

/** The bookworm minbase + binutils rootfs, kept like the e2e tests keep theirs. */
const BINUTILS_TARBALL = process.env.KILN_DEBIAN_BINUTILS_TARBALL ?? "/var/tmp/kiln-ref-bases/debian-bookworm-minbase-binutils.tar.gz";

/** What debian:bookworm-slim leaves out (debuerreotype --slimify), plus apt's downloads and device nodes. */
const SLIM_EXCLUDE = [
  /^var\/lib\/apt\/lists\/./,
  /^var\/cache\/apt\/./,
  /^usr\/share\/doc\/[^/]+\/(?!copyright$)./,
  /^usr\/share\/(man|info|groff|linda|locale)\/./,
  /^usr\/share\/lintian\/overrides\/./,
  // Container runtimes mount /dev; Docker's debian images ship it empty.
  /^dev\/./,
];

const clean = (name: string) => name.replace(/^\.?\//, "").replace(/^\.$/, "");

/** Copy a (gzip) rootfs tar to a plain one without the slim excludes; entry order and headers kept, symlink targets replaced per `relink` (path → new target). */
export async function slimRootfs(tarball: string, out: string, relink: Record<string, string> = {}): Promise<void> {
  if (existsSync(out)) return;
  const tmp = `${out}.tmp-${process.pid}`;
  const x = extract();
  const p = pack();
  const dropped = new Set<string>();
  x.on("entry", (h: Header, stream, next) => {
    const name = clean(h.name);
    const linkTarget = h.type === "link" && h.linkname ? clean(h.linkname) : undefined;
    const drop = SLIM_EXCLUDE.some((re) => re.test(name)) || (linkTarget !== undefined && dropped.has(linkTarget));
    if (drop) {
      dropped.add(name);
      stream.on("end", next);
      stream.resume();
      return;
    }
    if (h.type === "symlink" && relink[name]) h.linkname = relink[name];
    stream.pipe(p.entry(h, (err) => next(err ?? undefined)));
  });
  x.on("finish", () => p.finalize());
  await Promise.all([
    pipeline(createReadStream(tarball), ...(tarball.endsWith(".gz") ? [createGunzip()] : []), x),
    pipeline(p, createWriteStream(tmp)),
  ]);
  renameSync(tmp, out);
}

/** The contents of `names` (paths without ./) in a plain tar. */
export async function readTarFiles(tar: string, names: string[]): Promise<Map<string, Buffer>> {
  const want = new Set(names);
  const out = new Map<string, Buffer>();
  const x = extract();
  x.on("entry", (h: Header, stream, next) => {
    const name = clean(h.name);
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => {
      if (want.has(name)) chunks.push(c as Buffer);
    });
    stream.on("end", () => {
      if (want.has(name) && h.type === "file") out.set(name, Buffer.concat(chunks));
      next();
    });
  });
  await pipeline(createReadStream(tar), x);
  const missing = names.filter((n) => !out.has(n));
  if (missing.length) throw new Error(`${tar} lacks ${missing.join(", ")}`);
  return out;
}

/** debootstrap --variant=minbase --include=binutils bookworm, tarred once (minutes to make; needs root and the Debian mirror). */
export function binutilsTarball(): string {
  if (existsSync(BINUTILS_TARBALL)) return BINUTILS_TARBALL;
  const dir = `${BINUTILS_TARBALL}.rootfs`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(BINUTILS_TARBALL, ".."), { recursive: true });
  const d = Bun.spawnSync(["debootstrap", "--variant=minbase", "--include=binutils", "bookworm", dir, "http://deb.debian.org/debian"], { stdout: "pipe", stderr: "pipe" });
  if (d.exitCode !== 0) throw new Error(`debootstrap failed: ${d.stderr.toString().slice(-2000)}`);
  const t = Bun.spawnSync(["tar", "-C", dir, "-czf", `${BINUTILS_TARBALL}.tmp`, "."], { stderr: "pipe" });
  if (t.exitCode !== 0) throw new Error(`tar failed: ${t.stderr.toString()}`);
  renameSync(`${BINUTILS_TARBALL}.tmp`, BINUTILS_TARBALL);
  rmSync(dir, { recursive: true, force: true });
  return BINUTILS_TARBALL;
}

/** Why a Debian stand-in cannot be made here (undefined when it can, or when one of the files it is made from is cached). */
export function debianUnavailable(cached: string[]): string | undefined {
  if (cached.some(existsSync)) return undefined;
  if (process.getuid?.() !== 0) return "debootstrap needs root";
  if (!Bun.which("debootstrap") && !existsSync("/usr/sbin/debootstrap")) return "debootstrap is not installed (scripts/setup-host.sh)";
  return undefined;
}

/** quay.io/libpod/centos:7's stand-in: slim bookworm minbase (the e2e tests' debootstrap cache), /bin/sh → bash as on CentOS (dash has no `printf %q`). */
export async function makeCentosStandIn(dir: string): Promise<string> {
  const out = join(dir, "debian-bookworm-slim-shbash.tar");
  if (!existsSync(out)) await slimRootfs(await debianTarball(), out, { "usr/bin/sh": "bash" });
  return out;
}

/** quay.io/fedora/python-311's stand-in: slim bookworm minbase with binutils. */
export async function makePythonStandIn(dir: string): Promise<string> {
  const out = join(dir, "debian-bookworm-slim-binutils.tar");
  if (!existsSync(out)) await slimRootfs(binutilsTarball(), out);
  return out;
}

/** glibc as docker-library's busybox:glibc carries it in /lib (taken from the Debian stand-in). */
export const GLIBC_FILES = ["ld-linux-x86-64.so.2", "libc.so.6", "libm.so.6", "libnss_dns.so.2", "libnss_files.so.2", "libpthread.so.0", "libresolv.so.2"];

/** The glibc files out of the centos stand-in's rootfs. */
export async function glibcFiles(debianRootfs: string): Promise<Map<string, Buffer>> {
  const files = await readTarFiles(debianRootfs, GLIBC_FILES.map((f) => `usr/lib/x86_64-linux-gnu/${f}`));
  return new Map([...files].map(([k, v]) => [k.slice(k.lastIndexOf("/") + 1), v]));
}
