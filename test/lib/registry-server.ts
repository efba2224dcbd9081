// A real registry for tests: Debian's docker-registry (distribution 2.8) on
// 127.0.0.1 and a free port, with a temp config and storage. Variants:
//   - no auth (plain HTTP);
//   - htpasswd Basic over TLS, with a CA and server cert made here by openssl;
//   - Bearer tokens from a token server in this process (Bun.serve, port 0),
//     configured as the registry's `auth: token` realm; the JWT signing key
//     and cert are made by openssl, tokens are RS256 with an x5c header.
// Plus a TCP proxy that cuts one connection after N bytes (resume tests).
import { createSign } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket } from "bun";
import { which } from "../../src/util/spawn.ts";

export interface RegistryServerOptions {
  auth?: "none" | "htpasswd" | "token";
  /** Serve TLS with a CA made for the test (default: true for htpasswd, false otherwise). */
  tls?: boolean;
  users?: Record<string, string>;
  /** Token server: the first token it issues for each scope set is already expired (the registry rejects it). */
  firstTokenExpired?: boolean;
}

export interface TokenServerStats {
  /** One entry per token request: the scopes asked for, space-separated ("" for none). */
  requests: string[];
  /** Requests refused for bad credentials. */
  refused: number;
}

export interface RegistryServer extends AsyncDisposable {
  /** "127.0.0.1:PORT": the registry part of image references. */
  host: string;
  port: number;
  /** The filesystem storage root (blobs under docker/registry/v2/blobs/sha256/…). */
  storage: string;
  /** A dir holding ca.crt for --cert-dir (TLS variants). */
  certDir?: string;
  users: Record<string, string>;
  token?: TokenServerStats;
  /** Path of a blob's data file in the storage (to tamper with it). */
  blobDataPath(digest: string): string;
  stop(): Promise<void>;
}

/** Why the registry tests cannot run here, or undefined. */
export function registryUnavailable(): string | undefined {
  if (!which("docker-registry")) return "docker-registry is not installed (apt-get install docker-registry, or scripts/setup-host.sh)";
  if (!which("openssl")) return "openssl is not installed";
  return undefined;
}

async function run(argv: string[], cwd: string): Promise<void> {
  const p = Bun.spawn(argv, { cwd, stdout: "pipe", stderr: "pipe" });
  const [err, code] = await Promise.all([new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${argv.join(" ")} failed: ${err}`);
}

/** A CA and a server cert for 127.0.0.1/localhost signed by it (EC keys: fast to make). */
async function makeTlsFiles(dir: string): Promise<void> {
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n");
  await run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=kiln test CA"], dir);
  await run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"], dir);
  await run(["openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext"], dir);
}

const b64url = (b: Buffer | string) => Buffer.from(b).toString("base64url");

/** A token server speaking the distribution token protocol, signing RS256 JWTs the registry trusts. */
async function startTokenServer(dir: string, users: Record<string, string>, firstExpired: boolean) {
  await run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "token.key", "-out", "token.crt", "-days", "2", "-subj", "/CN=kiln test token issuer"], dir);
  const key = readFileSync(join(dir, "token.key"), "utf8");
  const certDer = readFileSync(join(dir, "token.crt"), "utf8").replace(/-----[^-]+-----|\s/g, "");
  const stats: TokenServerStats = { requests: [], refused: 0 };
  const seen = new Set<string>();
  const server = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const url = new URL(req.url);
      const scopes = url.searchParams.getAll("scope");
      stats.requests.push(scopes.join(" "));
      const auth = req.headers.get("authorization") ?? "";
      let subject = "";
      if (auth.startsWith("Basic ")) {
        const [u, ...p] = Buffer.from(auth.slice(6), "base64").toString().split(":");
        if (users[u!] !== p.join(":")) {
          stats.refused++;
          return Response.json({ details: "incorrect username or password" }, { status: 401 });
        }
        subject = u!;
      } else {
        stats.refused++;
        return Response.json({ details: "authentication required" }, { status: 401 });
      }
      const access = scopes.map((s) => {
        const [type, ...rest] = s.split(":");
        const actions = rest.pop()!.split(",");
        return { type, name: rest.join(":"), actions };
      });
      const now = Math.floor(Date.now() / 1000);
      const key0 = scopes.join(" ");
      // Expired by more than the registry's 60 s leeway, though it claims 300 s of life.
      const expired = firstExpired && !seen.has(key0);
      seen.add(key0);
      const claims = { iss: "kiln-test-issuer", sub: subject, aud: "kiln-test-registry", exp: expired ? now - 600 : now + 300, nbf: now - 1200, iat: now - 1200, jti: crypto.randomUUID(), access };
      const header = { typ: "JWT", alg: "RS256", x5c: [certDer] };
      const signingInput = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
      const sig = createSign("RSA-SHA256").update(signingInput).sign(key);
      return Response.json({ token: `${signingInput}.${b64url(sig)}`, expires_in: 300, issued_at: new Date().toISOString() });
    },
  });
  return { server, stats, realm: `http://127.0.0.1:${server.port}/token`, bundle: join(dir, "token.crt") };
}

function configYaml(o: { storage: string; tls?: string; auth?: string }): string {
  return [
    "version: 0.1",
    "log:",
    "  level: info",
    "  formatter: text",
    "  accesslog:",
    "    disabled: true",
    "storage:",
    "  filesystem:",
    `    rootdirectory: ${o.storage}`,
    "  delete:",
    "    enabled: true",
    "  maintenance:",
    "    uploadpurging:",
    "      enabled: false",
    "http:",
    "  addr: 127.0.0.1:0",
    `  secret: ${crypto.randomUUID()}`,
    ...(o.tls ? ["  tls:", `    certificate: ${o.tls}/server.crt`, `    key: ${o.tls}/server.key`] : []),
    ...(o.auth ? [o.auth] : []),
    "",
  ].join("\n");
}

/** Start a registry; the caller must `await stop()` (or `await using`). */
export async function startRegistry(opts: RegistryServerOptions = {}): Promise<RegistryServer> {
  const auth = opts.auth ?? "none";
  const tls = opts.tls ?? auth === "htpasswd";
  const users = opts.users ?? { kiln: "s3cret-Passw0rd" };
  const dir = mkdtempSync(join(tmpdir(), "kiln-test-registry-"));
  const storage = join(dir, "storage");
  if (tls) await makeTlsFiles(dir);
  let authYaml: string | undefined;
  let token: Awaited<ReturnType<typeof startTokenServer>> | undefined;
  if (auth === "htpasswd") {
    const lines = Object.entries(users).map(([u, p]) => `${u}:${Bun.password.hashSync(p, { algorithm: "bcrypt", cost: 4 })}`);
    writeFileSync(join(dir, "htpasswd"), `${lines.join("\n")}\n`);
    authYaml = ["auth:", "  htpasswd:", "    realm: kiln-test", `    path: ${join(dir, "htpasswd")}`].join("\n");
  } else if (auth === "token") {
    token = await startTokenServer(dir, users, opts.firstTokenExpired === true);
    authYaml = ["auth:", "  token:", `    realm: ${token.realm}`, "    service: kiln-test-registry", "    issuer: kiln-test-issuer", `    rootcertbundle: ${token.bundle}`].join("\n");
  }
  const configPath = join(dir, "config.yml");
  writeFileSync(configPath, configYaml({ storage, tls: tls ? dir : undefined, auth: authYaml }));
  const proc = Bun.spawn(["docker-registry", "serve", configPath], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin" }, stdout: "pipe", stderr: "pipe" });
  // The registry logs "listening on 127.0.0.1:PORT": read stderr until then.
  const port = await new Promise<number>((resolve, reject) => {
    let text = "";
    const reader = proc.stderr.getReader();
    const pump = async () => {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return reject(new Error(`docker-registry exited before listening:\n${text}`));
        text += new TextDecoder().decode(value);
        const m = /listening on 127\.0\.0\.1:(\d+)/.exec(text);
        if (m) {
          resolve(Number(m[1]));
          // Keep draining so the registry never blocks on a full pipe.
          for (;;) if ((await reader.read()).done) return;
        }
      }
    };
    pump().catch(reject);
  });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    proc.kill();
    await proc.exited;
    token?.server.stop(true);
    rmSync(dir, { recursive: true, force: true });
  };
  return {
    host: `127.0.0.1:${port}`,
    port,
    storage,
    certDir: tls ? makeCertDir(dir) : undefined,
    users,
    token: token?.stats,
    blobDataPath: (digest) => join(storage, "docker/registry/v2/blobs/sha256", digest.slice(7, 9), digest.slice(7), "data"),
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

/** A dir with only ca.crt, as --cert-dir and /etc/docker/certs.d/HOST want it. */
function makeCertDir(dir: string): string {
  const certDir = join(dir, "certs");
  mkdirSync(certDir);
  writeFileSync(join(certDir, "ca.crt"), readFileSync(join(dir, "ca.crt")));
  return certDir;
}

export interface CuttingProxy extends Disposable {
  host: string;
  /** How many connections were cut (0 or 1). */
  readonly cuts: number;
  stop(): void;
}

/** Writes to a Bun socket that keep what the kernel did not take, and flush on drain. */
class Outbox {
  private queue: Uint8Array[] = [];
  private ending = false;
  constructor(private readonly sock: () => Socket<unknown> | undefined) {}
  write(bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    if (this.queue.length > 0 || !this.sock()) this.queue.push(bytes.slice());
    else this.push(bytes);
  }
  private push(bytes: Uint8Array): boolean {
    const n = this.sock()!.write(bytes);
    if (n < bytes.byteLength) {
      this.queue.unshift(bytes.slice(Math.max(0, n)));
      return false;
    }
    return true;
  }
  drain(): void {
    while (this.queue.length > 0 && this.sock()) if (!this.push(this.queue.shift()!)) return;
    if (this.ending && this.queue.length === 0) this.sock()?.end();
  }
  end(): void {
    this.ending = true;
    this.drain();
  }
}

interface ProxySide {
  upstream?: Socket<unknown>;
  toClient: Outbox;
  toServer: Outbox;
  sent: number;
  cut: boolean;
}

/**
 * A TCP proxy to `target` that, once, closes a connection after it has passed
 * `cutAfter` bytes from the server to the client (a registry dropping the
 * connection mid-blob). Later connections pass untouched.
 */
export function startCuttingProxy(target: { hostname: string; port: number }, cutAfter: number): CuttingProxy {
  const state = { cuts: 0 };
  const listener = Bun.listen<ProxySide>({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(client) {
        const side: ProxySide = { toClient: new Outbox(() => client), toServer: new Outbox(() => side.upstream), sent: 0, cut: false };
        client.data = side;
        void Bun.connect({
          hostname: target.hostname,
          port: target.port,
          socket: {
            open(up) {
              side.upstream = up;
              side.toServer.drain();
            },
            data(up, chunk) {
              if (side.cut) return;
              let bytes: Uint8Array = chunk;
              if (state.cuts === 0 && side.sent + bytes.byteLength > cutAfter) {
                bytes = bytes.subarray(0, cutAfter - side.sent);
                state.cuts++;
                side.cut = true;
                side.toClient.write(bytes);
                side.toClient.end();
                up.end();
                return;
              }
              side.sent += bytes.byteLength;
              side.toClient.write(bytes);
            },
            drain: () => side.toServer.drain(),
            close: () => side.toClient.end(),
            error: () => side.toClient.end(),
          },
        }).catch(() => client.end());
      },
      data(client, chunk) {
        if (!client.data.cut) client.data.toServer.write(chunk);
      },
      drain(client) {
        client.data.toClient.drain();
      },
      close(client) {
        client.data.upstream?.end();
      },
    },
  });
  return {
    host: `127.0.0.1:${listener.port}`,
    get cuts() {
      return state.cuts;
    },
    stop: () => listener.stop(true),
    [Symbol.dispose]: () => listener.stop(true),
  };
}
