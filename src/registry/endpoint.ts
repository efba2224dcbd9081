import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** Docker Hub's API lives on another host than the name users write. */
export function apiHostOf(registry: string): string {
  return registry === "docker.io" || registry === "index.docker.io" ? "registry-1.docker.io" : registry;
}

/** localhost, 127.0.0.0/8 and ::1 (with or without a port): plain HTTP is allowed there, as Docker allows it. */
export function isLoopback(host: string): boolean {
  const name = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.replace(/:\d+$/, "");
  return name === "localhost" || name === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

/** The TLS settings handed to fetch for one registry host. */
export interface TlsSettings {
  ca?: string[];
  cert?: string;
  key?: string;
  rejectUnauthorized: boolean;
}

const SYSTEM_BUNDLES = ["/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem"];
let systemCas: string | undefined | null = null;

/** The system CA bundle: passing `ca` to fetch replaces the defaults, so extra CAs are added to it. */
function systemBundle(): string | undefined {
  if (systemCas === null) {
    const p = SYSTEM_BUNDLES.find((f) => existsSync(f));
    systemCas = p ? readFileSync(p, "utf8") : undefined;
  }
  return systemCas;
}

/**
 * TLS for `registry`: verified by default against the system CAs plus the
 * host's cert dir (`--cert-dir`, else /etc/docker/certs.d/HOST[:PORT]), where
 * `*.crt` are CAs and `*.cert` + `*.key` a client certificate, as Docker reads it.
 */
export function tlsSettingsFor(registry: string, opts: { tlsVerify?: boolean; certDir?: string; certsD?: string }): TlsSettings {
  if (opts.tlsVerify === false) return { rejectUnauthorized: false };
  const dir = opts.certDir ?? join(opts.certsD ?? "/etc/docker/certs.d", registry);
  if (!existsSync(dir)) return { rejectUnauthorized: true };
  const files = readdirSync(dir).sort();
  const cas = files.filter((f) => f.endsWith(".crt")).map((f) => readFileSync(join(dir, f), "utf8"));
  const cert = files.find((f) => f.endsWith(".cert"));
  const key = cert && files.find((f) => f === cert.replace(/\.cert$/, ".key"));
  const settings: TlsSettings = { rejectUnauthorized: true };
  if (cas.length > 0) {
    const sys = systemBundle();
    settings.ca = sys ? [sys, ...cas] : cas;
  }
  if (cert && key) {
    settings.cert = readFileSync(join(dir, cert), "utf8");
    settings.key = readFileSync(join(dir, key), "utf8");
  }
  return settings;
}

/** Is a fetch failure a TLS certificate problem (as opposed to a refused or reset connection)? */
export function isCertificateError(err: unknown): boolean {
  const text = `${(err as { code?: string })?.code ?? ""} ${(err as Error)?.message ?? ""}`;
  return /CERT|certificate|SELF_SIGNED|UNABLE_TO_VERIFY|unknown ca|HOSTNAME_MISMATCH|ERR_TLS_CERT/i.test(text);
}
