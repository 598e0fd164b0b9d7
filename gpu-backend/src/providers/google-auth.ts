/**
 * OAuth 2.0 access tokens for a Google service account (the "JWT bearer" grant, RFC 7523): sign
 * a short-lived RS256 JWT with the account's private key (node:crypto), exchange it at the token
 * URI, cache the token until shortly before it expires. Concurrent callers share one exchange.
 */
import { createPrivateKey, type KeyObject, sign } from "node:crypto";
import { isSecureServiceUrl, SECURE_URL_RULE } from "@lanesegnet/shared";
import { ProviderBadDataError, ProviderConfigError, ProviderTimeoutError } from "./errors.js";
import { DEFAULT_RETRY, httpRequest, type RetryPolicy, untilAborted } from "./http.js";

export const GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token";
export const EARTH_ENGINE_SCOPE = "https://www.googleapis.com/auth/earthengine.readonly";

/** The fields of a service-account JSON key file that are used. */
export interface ServiceAccountKey {
  readonly client_email: string;
  readonly private_key: string;
  readonly private_key_id?: string;
  readonly token_uri?: string;
}

/** Parse and check a service-account key (JSON text or object). Messages never quote the key. */
export function parseServiceAccountKey(provider: string, input: string | object): ServiceAccountKey {
  let json: unknown = input;
  if (typeof input === "string") {
    try {
      json = JSON.parse(input);
    } catch {
      throw new ProviderConfigError(provider, "service-account key is not valid JSON");
    }
  }
  const k = json as Record<string, unknown>;
  if (typeof k?.client_email !== "string" || typeof k.private_key !== "string") {
    throw new ProviderConfigError(provider, "service-account key lacks client_email or private_key");
  }
  // The token exchange sends an assertion signed with the private key: good for an hour to anyone
  // who reads it on the way.
  if (typeof k.token_uri === "string" && !isSecureServiceUrl(k.token_uri)) {
    throw new ProviderConfigError(provider, `service-account token_uri ${SECURE_URL_RULE}`);
  }
  return {
    client_email: k.client_email,
    private_key: k.private_key,
    ...(typeof k.private_key_id === "string" ? { private_key_id: k.private_key_id } : {}),
    ...(typeof k.token_uri === "string" ? { token_uri: k.token_uri } : {}),
  };
}

const base64url = (data: string | Buffer): string => Buffer.from(data).toString("base64url");

/** The signed assertion: header.claims.signature, RS256 over the first two parts. */
export function signServiceAccountJwt(
  key: KeyObject,
  claims: { iss: string; scope: string; aud: string; iat: number; exp: number },
  keyId?: string,
): string {
  const header = { alg: "RS256", typ: "JWT", ...(keyId ? { kid: keyId } : {}) };
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  return `${input}.${base64url(sign("RSA-SHA256", Buffer.from(input), key))}`;
}

export interface TokenSourceOptions {
  readonly provider: string;
  readonly key: ServiceAccountKey;
  /** Overrides key.token_uri (tests point it at a loopback server). */
  readonly tokenUri?: string;
  readonly scope?: string;
  readonly retry?: RetryPolicy;
  /** Renew this long before expiry (default 60 s) so a token never expires in flight. */
  readonly refreshMarginS?: number;
  /** Deadline of one token exchange, shared by every caller waiting for it (default 30 s). */
  readonly exchangeTimeoutMs?: number;
  readonly now?: () => number;
}

export class ServiceAccountTokenSource {
  private readonly privateKey: KeyObject;
  private readonly tokenUri: string;
  private cached: { token: string; expiresAtMs: number } | null = null;
  private pending: Promise<string> | null = null;

  constructor(private readonly options: TokenSourceOptions) {
    try {
      this.privateKey = createPrivateKey(options.key.private_key);
    } catch {
      throw new ProviderConfigError(options.provider, "service-account private_key is not a valid PEM key");
    }
    this.tokenUri = options.tokenUri ?? options.key.token_uri ?? GOOGLE_TOKEN_URI;
  }

  /**
   * A valid access token, from cache or a fresh exchange. Concurrent callers share one exchange,
   * which runs under its own deadline: one caller's signal (its client left, its own deadline)
   * must not fail the others'. Each caller stops waiting when its own signal aborts.
   */
  async token(signal: AbortSignal): Promise<string> {
    signal.throwIfAborted();
    const now = (this.options.now ?? Date.now)();
    const margin = (this.options.refreshMarginS ?? 60) * 1000;
    if (this.cached && this.cached.expiresAtMs - margin > now) return this.cached.token;
    this.pending ??= this.sharedExchange().finally(() => {
      this.pending = null;
    });
    return untilAborted(this.pending, signal);
  }

  /**
   * One exchange under its own deadline. That deadline is a provider timeout for every caller
   * sharing it: a caller that joined late may still have time of its own, so withDeadline would
   * not call it one (it would be an "unexpected" failure).
   */
  private async sharedExchange(): Promise<string> {
    const exchangeMs = this.options.exchangeTimeoutMs ?? 30_000;
    const deadline = AbortSignal.timeout(exchangeMs);
    try {
      return await this.exchange(deadline);
    } catch (e) {
      if (deadline.aborted) throw new ProviderTimeoutError(this.options.provider, exchangeMs);
      throw e;
    }
  }

  /** Forget the cached token (after a 401). */
  invalidate(): void {
    this.cached = null;
  }

  private async exchange(signal: AbortSignal): Promise<string> {
    const { provider, key } = this.options;
    const now = (this.options.now ?? Date.now)();
    const iat = Math.floor(now / 1000);
    const assertion = signServiceAccountJwt(
      this.privateKey,
      {
        iss: key.client_email,
        scope: this.options.scope ?? EARTH_ENGINE_SCOPE,
        aud: this.tokenUri,
        iat,
        exp: iat + 3600,
      },
      key.private_key_id,
    );
    const res = await httpRequest(
      provider,
      {
        url: this.tokenUri,
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "urn:ietf:params:oauth:grant-type:jwt-bearer",
          assertion,
        }).toString(),
        what: "OAuth token exchange",
        // Exchanging an assertion has no side effect beyond issuing a token: safe to repeat.
        idempotent: true,
        maxBytes: 64 * 1024,
      },
      signal,
      this.options.retry ?? DEFAULT_RETRY,
    );
    let body: { access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(new TextDecoder().decode(res.body));
    } catch {
      throw new ProviderBadDataError(provider, "OAuth token response is not JSON");
    }
    if (typeof body.access_token !== "string" || body.access_token.length === 0) {
      throw new ProviderBadDataError(provider, "OAuth token response has no access_token");
    }
    const expiresIn = typeof body.expires_in === "number" && body.expires_in > 0 ? body.expires_in : 3600;
    this.cached = { token: body.access_token, expiresAtMs: now + expiresIn * 1000 };
    return body.access_token;
  }
}
