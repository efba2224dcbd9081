import { RegistryError } from "../errors.ts";
import { parseChallenges, pickChallenge, type Challenge } from "./challenge.ts";
import { findCredentials, type Credentials } from "./credentials.ts";
import { addSecret, redact } from "./redact.ts";
import { errorFromResponse } from "./response-error.ts";
import type { RegistryLogger } from "./types.ts";

/** fetch for the token endpoint (the transport supplies TLS settings for the realm's host). */
export type TokenFetch = (url: string, init: RequestInit) => Promise<Response>;

interface CachedToken {
  value: string;
  expiresAt: number;
}

export interface AuthorizerOptions {
  /** The registry as users name it (the auth file key and the hint's host). */
  registry: string;
  credentials?: Credentials;
  authFile?: string;
  fetchToken: TokenFetch;
  logger?: RegistryLogger;
  now?: () => number;
}

/** Tokens without expires_in live 60 s (distribution token spec); renew a little early. */
const DEFAULT_LIFETIME_S = 60;

/**
 * Answers a registry's authentication challenges for one registry host:
 * nothing (anonymous), Basic from the credentials, or Bearer tokens fetched
 * from the challenge's realm for each set of scopes, cached until they
 * expire, and dropped when the registry rejects them.
 */
export class Authorizer {
  private challenge?: Challenge;
  private readonly tokens = new Map<string, Promise<CachedToken>>();
  private credentials?: Promise<Credentials | undefined>;
  private readonly now: () => number;

  constructor(private readonly opts: AuthorizerOptions) {
    this.now = opts.now ?? Date.now;
    if (opts.credentials) {
      addSecret(opts.credentials.password);
      this.credentials = Promise.resolve(opts.credentials);
    }
  }

  /** Record the challenge from a 401 (or from the /v2/ ping). Returns false when there is none kiln can answer. */
  setChallenge(header: string | null): boolean {
    const picked = header ? pickChallenge(parseChallenges(header)) : undefined;
    if (picked) this.challenge = picked;
    return picked !== undefined;
  }

  get scheme(): string | undefined {
    return this.challenge?.scheme;
  }

  /**
   * Forget the cached token for these scopes because the registry refused
   * `rejected` (the Authorization value sent). A token fetched meanwhile by a
   * concurrent request is kept.
   */
  async invalidate(scopes: string[], rejected: string | undefined): Promise<void> {
    const key = scopeKey(scopes);
    const cached = this.tokens.get(key);
    if (!cached) return;
    const token = await cached.catch(() => undefined);
    if (!token || rejected === undefined || `Bearer ${token.value}` === rejected) {
      if (this.tokens.get(key) === cached) this.tokens.delete(key);
    }
  }

  private creds(): Promise<Credentials | undefined> {
    this.credentials ??= findCredentials(this.opts.registry, this.opts.authFile);
    return this.credentials;
  }

  /** The Authorization header value for a request needing `scopes`, or undefined (anonymous). */
  async authorization(scopes: string[]): Promise<string | undefined> {
    if (!this.challenge) return undefined;
    if (this.challenge.scheme === "basic") {
      const c = await this.creds();
      if (!c) return undefined;
      const value = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
      addSecret(value.slice(6));
      return value;
    }
    // Concurrent requests for the same scopes share one token request.
    const key = scopeKey(scopes);
    let pending = this.tokens.get(key);
    const cached = pending && (await pending.catch(() => undefined));
    if (!cached || cached.expiresAt <= this.now()) {
      if (this.tokens.get(key) === pending) {
        pending = this.fetchToken(scopes);
        this.tokens.set(key, pending);
        pending.catch(() => this.tokens.get(key) === pending && this.tokens.delete(key));
      } else {
        pending = this.tokens.get(key)!;
      }
    }
    return `Bearer ${(await pending!).value}`;
  }

  private async fetchToken(scopes: string[]): Promise<CachedToken> {
    const { realm, service } = this.challenge!.params;
    if (!realm) throw new RegistryError("E_REGISTRY_AUTH", `${this.opts.registry}: Bearer challenge without a realm`);
    const c = await this.creds();
    const started = this.now();
    let res: Response;
    if (c?.identityToken) {
      // OAuth2 refresh-token grant (Docker's identity tokens).
      const form = new URLSearchParams({ grant_type: "refresh_token", refresh_token: c.identityToken, client_id: "kiln" });
      if (service) form.set("service", service);
      if (scopes.length > 0) form.set("scope", scopes.join(" "));
      res = await this.opts.fetchToken(realm, { method: "POST", body: form, headers: { "content-type": "application/x-www-form-urlencoded" } });
    } else {
      const url = new URL(realm);
      if (service) url.searchParams.set("service", service);
      for (const s of scopes) url.searchParams.append("scope", s);
      const headers: Record<string, string> = {};
      if (c) headers.authorization = `Basic ${Buffer.from(`${c.username}:${c.password}`).toString("base64")}`;
      res = await this.opts.fetchToken(url.toString(), { headers });
    }
    this.opts.logger?.debug(redact(`token ${realm} scope=${scopes.join(" ")} → ${res.status}`));
    if (!res.ok) {
      const err = await errorFromResponse(res, { registry: this.opts.registry, what: "token request" });
      if (res.status === 401 || res.status === 403) {
        throw new RegistryError("E_REGISTRY_AUTH", `${this.opts.registry}: unauthorized: ${c ? "incorrect username or password" : "authentication required"}`, {
          hint: `run kiln login ${this.opts.registry}`,
          cause: err,
        });
      }
      throw err;
    }
    const body = (await res.json()) as { token?: string; access_token?: string; expires_in?: number; issued_at?: string };
    const value = body.token ?? body.access_token;
    if (!value) throw new RegistryError("E_REGISTRY_AUTH", `${this.opts.registry}: the token server answered without a token`);
    addSecret(value);
    const lifetime = (body.expires_in && body.expires_in > 0 ? body.expires_in : DEFAULT_LIFETIME_S) * 1000;
    const margin = Math.min(10_000, lifetime / 10);
    return { value, expiresAt: started + lifetime - margin };
  }
}

function scopeKey(scopes: string[]): string {
  return [...scopes].sort().join(" ");
}
