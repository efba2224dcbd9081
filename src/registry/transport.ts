import { RegistryError } from "../errors.ts";
import { Authorizer } from "./authorizer.ts";
import { apiHostOf, isCertificateError, isLoopback, tlsSettingsFor, type TlsSettings } from "./endpoint.ts";
import { redact } from "./redact.ts";
import { errorFromResponse, type RequestContext } from "./response-error.ts";
import type { RegistryLogger, RegistryOptions } from "./types.ts";

/** A request body, or a function that makes it again (needed to replay a request after a 401). */
type BodyValue = NonNullable<RequestInit["body"]>;
export type Body = BodyValue | (() => BodyValue);

export interface RequestSpec {
  method?: "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";
  /** "/v2/…" on this registry, or an absolute URL the registry handed out (upload locations). */
  path: string;
  headers?: Record<string, string>;
  body?: Body;
  /** Token scopes the request needs (repository:NAME:pull,push). */
  scopes: string[];
  signal?: AbortSignal;
}

const IDEMPOTENT = new Set(["GET", "HEAD"]);
const connectionErrors = new WeakSet<object>();

/** Did this error come from a connection that failed (not from an answer of the registry)? Such errors are worth a retry. */
export function isConnectionError(err: unknown): boolean {
  return typeof err === "object" && err !== null && connectionErrors.has(err);
}
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The HTTP layer of the registry client for one registry host: picks https
 * (or plain http where that is allowed), verifies TLS with the right CAs,
 * answers auth challenges through an Authorizer, retries idempotent requests
 * with backoff, follows redirects without leaking credentials to other
 * hosts, and logs every exchange at debug level with secrets redacted.
 */
export class RegistryTransport {
  readonly registry: string;
  readonly auth: Authorizer;
  private base?: Promise<string>;
  private readonly tls: TlsSettings;
  private readonly log?: RegistryLogger;
  private readonly retries: number;
  private readonly backoffMs: number;

  constructor(registry: string, private readonly opts: RegistryOptions & { insecure?: boolean } = {}) {
    this.registry = registry;
    const insecure = opts.insecure === true || opts.tlsVerify === false;
    this.tls = tlsSettingsFor(registry, { ...opts, tlsVerify: insecure ? false : opts.tlsVerify });
    this.log = opts.logger;
    this.retries = opts.retries ?? 4;
    this.backoffMs = opts.backoffMs ?? 250;
    this.auth = new Authorizer({
      registry,
      credentials: opts.credentials,
      authFile: opts.authFile,
      logger: opts.logger,
      now: opts.now,
      fetchToken: (url, init) => this.rawFetch(url, init, tlsSettingsFor(new URL(url).host, opts)),
    });
  }

  /** fetch with this host's TLS settings and no automatic redirects. */
  private rawFetch(url: string, init: RequestInit, tls: TlsSettings = this.tls): Promise<Response> {
    return fetch(url, { ...init, redirect: "manual", tls } as RequestInit);
  }

  /** Base URL (scheme://host), found once by pinging /v2/ (which also reveals the auth challenge). */
  baseUrl(): Promise<string> {
    this.base ??= this.ping();
    return this.base;
  }

  private async ping(): Promise<string> {
    const host = apiHostOf(this.registry);
    const plainAllowed = isLoopback(host) || this.opts.insecure === true || this.opts.tlsVerify === false;
    const schemes = plainAllowed ? ["https", "http"] : ["https"];
    let firstError: unknown;
    for (const scheme of schemes) {
      const url = `${scheme}://${host}/v2/`;
      try {
        const res = await this.rawFetch(url, { signal: AbortSignal.timeout(30_000) });
        this.log?.debug(`GET ${url} → ${res.status}`);
        await res.arrayBuffer().catch(() => undefined);
        if (res.status === 401) this.auth.setChallenge(res.headers.get("www-authenticate"));
        else if (!res.ok && res.status !== 404 && res.status !== 403) {
          // A TLS server answering plain HTTP says 400; a proxy may say 502: try the next scheme.
          firstError ??= new Error(`GET ${url} answered ${res.status} ${res.statusText}`);
          continue;
        }
        return `${scheme}://${host}`;
      } catch (err) {
        this.log?.debug(redact(`GET ${url} failed: ${(err as Error).message}`));
        firstError ??= err;
      }
    }
    throw this.connectError(firstError);
  }

  private connectError(err: unknown): RegistryError {
    const why = redact((err as Error)?.message ?? String(err));
    if (isCertificateError(err)) {
      return new RegistryError("E_REGISTRY", `${this.registry}: TLS certificate not trusted: ${why}`, {
        cause: err,
        hint: `put the registry's CA in /etc/docker/certs.d/${this.registry}/ca.crt or pass --cert-dir DIR (or --tls-verify=false for a test registry)`,
      });
    }
    const error = new RegistryError("E_REGISTRY", `cannot reach registry ${this.registry}: ${why}`, {
      cause: err,
      hint: "check the registry host and port, and that it is up",
    });
    connectionErrors.add(error);
    return error;
  }

  /**
   * Send a request: authorize it, replay it once after a 401 with a fresh
   * challenge or token, retry network failures and 5xx of GET/HEAD with
   * exponential backoff. Returns the response whatever its status.
   */
  async request(spec: RequestSpec): Promise<Response> {
    const method = spec.method ?? "GET";
    const base = await this.baseUrl();
    let url = spec.path.startsWith("http") ? spec.path : `${base}${spec.path}`;
    const idempotent = IDEMPOTENT.has(method);
    let authRetried = false;
    for (let attempt = 0, hops = 0; ; ) {
      const headers: Record<string, string> = { "user-agent": "kiln", ...spec.headers };
      const sameHost = new URL(url).host === new URL(base).host;
      const authorization = sameHost ? await this.auth.authorization(spec.scopes) : undefined;
      if (authorization) headers.authorization = authorization;
      const body = typeof spec.body === "function" ? spec.body() : spec.body;
      const t0 = performance.now();
      let res: Response;
      try {
        res = await this.rawFetch(url, { method, headers, body, signal: spec.signal });
      } catch (err) {
        this.log?.debug(redact(`${method} ${url} failed: ${(err as Error).message}`));
        if (spec.signal?.aborted || !idempotent || attempt >= this.retries) throw this.connectError(err);
        await sleep(this.backoffMs * 2 ** attempt++);
        continue;
      }
      this.log?.debug(redact(`${method} ${url} → ${res.status} (${Math.round(performance.now() - t0)} ms)`));
      if (res.status === 401 && sameHost && !authRetried) {
        authRetried = true;
        await res.arrayBuffer().catch(() => undefined);
        // A new challenge (Basic ↔ Bearer, or a Bearer for more scopes), or an expired token.
        this.auth.setChallenge(res.headers.get("www-authenticate"));
        await this.auth.invalidate(spec.scopes, authorization);
        continue;
      }
      if (res.status >= 300 && res.status < 400 && res.headers.get("location") && method !== "POST" && hops++ < 5) {
        await res.arrayBuffer().catch(() => undefined);
        url = new URL(res.headers.get("location")!, url).toString();
        continue;
      }
      if ((res.status >= 500 || res.status === 429) && idempotent && attempt < this.retries) {
        await res.arrayBuffer().catch(() => undefined);
        await sleep(this.backoffMs * 2 ** attempt++);
        continue;
      }
      return res;
    }
  }

  /** request(), then throw a RegistryError unless the status is one of `ok`. */
  async expect(spec: RequestSpec, ok: number[], ctx: Omit<RequestContext, "registry">): Promise<Response> {
    const res = await this.request(spec);
    if (!ok.includes(res.status)) throw await errorFromResponse(res, { registry: this.registry, ...ctx });
    return res;
  }

  /** Resolve a Location header (relative or absolute) against the registry. */
  async resolveLocation(location: string): Promise<string> {
    return new URL(location, await this.baseUrl()).toString();
  }
}
