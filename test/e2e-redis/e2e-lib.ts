// Shared pieces of the end-to-end tests (make e2e): a private store, the kiln
// binary, base images made the way the README says (Alpine's official recipe
// from the minirootfs; Debian from debootstrap, cached as a tarball), and a
// free TCP port.
import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { REPO, SHARED, runKiln, tempDir, type KilnResult } from "../harness.ts";

export const MINIROOTFS = SHARED ? join(SHARED, "images/alpine-minirootfs-3.20.3-x86_64.tar.gz") : undefined;
export const DEBIAN_TARBALL = process.env.KILN_DEBIAN_TARBALL ?? "/var/tmp/kiln-e2e/debian-bookworm-minbase.tar.gz";

/** Is `kiln <cmd>` still a placeholder in this checkout? */
export async function notImplemented(cmd: string): Promise<boolean> {
  const r = await runKiln([cmd, "--help"]);
  return /not (yet )?implemented/i.test(r.stdout + r.stderr);
}

/** Run kiln and fail with its output when it fails. */
export async function kiln(args: string[], opts: { root: string; cwd?: string; env?: Record<string, string> }): Promise<KilnResult> {
  const r = await runKiln(args, opts);
  if (r.exitCode !== 0) throw new Error(`kiln ${args.join(" ")} exited ${r.exitCode}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** alpine:3.20 built with kiln exactly as Alpine's official image is built. */
export async function buildAlpine(root: string): Promise<void> {
  using ctx = tempDir("alpine-base");
  await Bun.write(ctx.join("Dockerfile"), Bun.file(join(REPO, "examples/alpine/Dockerfile")));
  await Bun.write(ctx.join("alpine-minirootfs-3.20.3-x86_64.tar.gz"), Bun.file(MINIROOTFS!));
  await kiln(["build", "-t", "alpine:3.20", "-t", "alpine:latest", ctx.path], { root });
}

/** debootstrap --variant=minbase bookworm, tarred once and kept under /var/tmp (minutes to make). */
export async function debianTarball(): Promise<string> {
  if (existsSync(DEBIAN_TARBALL)) return DEBIAN_TARBALL;
  const dir = `${DEBIAN_TARBALL}.rootfs`;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(DEBIAN_TARBALL, ".."), { recursive: true });
  const d = Bun.spawnSync(["debootstrap", "--variant=minbase", "bookworm", dir, "http://deb.debian.org/debian"], { stdout: "pipe", stderr: "pipe" });
  if (d.exitCode !== 0) throw new Error(`debootstrap failed: ${d.stderr.toString().slice(-2000)}`);
  const t = Bun.spawnSync(["tar", "-C", dir, "-czf", `${DEBIAN_TARBALL}.tmp`, "."], { stderr: "pipe" });
  if (t.exitCode !== 0) throw new Error(`tar failed: ${t.stderr.toString()}`);
  renameSync(`${DEBIAN_TARBALL}.tmp`, DEBIAN_TARBALL);
  rmSync(dir, { recursive: true, force: true });
  return DEBIAN_TARBALL;
}

/** Can this machine reach the Debian mirror (apt-get inside RUN needs it)? */
export async function debianMirrorReachable(): Promise<boolean> {
  try {
    const r = await fetch("http://deb.debian.org/debian/dists/bookworm/Release", { method: "HEAD", signal: AbortSignal.timeout(10_000) });
    return r.ok;
  } catch {
    return false;
  }
}

/** A TCP port nobody listens on right now (the kernel picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Send one RESP command; resolves to the first reply line, or rejects when nothing listens. */
export function redisCommand(port: number, command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = "";
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          s.write(`${command}\r\n`);
        },
        data(s, chunk) {
          buf += new TextDecoder().decode(chunk);
          const nl = buf.indexOf("\r\n");
          if (nl !== -1) {
            resolve(buf.slice(0, nl));
            s.end();
          }
        },
        error(_s, err) {
          reject(err);
        },
        close() {
          if (!buf.includes("\r\n")) reject(new Error("connection closed without a reply"));
        },
      },
    }).catch(reject);
  });
}
