/**
 * Bearer JWTs for the web frontend: HS256 with a shared secret, or asymmetric keys from a JWKS URL
 * (RS/PS/ES/EdDSA, chosen by the token's `kid`), with configurable issuer and audience. The token's
 * `sub` is the user. Verification is hono's (hono/utils/jwt); this module adds a per-isolate JWKS
 * cache (hono's own JWKS helper fetches the set on every call) and the claims policy:
 * `exp` and `sub` are required, and `exp` may lie at most `maxLifetimeS` ahead, so a token minted
 * (or leaked) with a far-future expiry is not a credential for years.
 */

import type { HonoJsonWebKey } from "hono/utils/jwt/jws";
import { decodeHeader, verify, verifyWithJwks } from "hono/utils/jwt/jwt";

export interface JwtSettings {
  readonly secret: string | undefined;
  readonly jwksUrl: string | undefined;
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  /** The furthest ahead a token's `exp` may be, in seconds (JWT_MAX_LIFETIME_S). */
  readonly maxLifetimeS: number;
}

export type JwtResult =
  | { readonly ok: true; readonly sub: string }
  /** `unavailable`: the JWKS could not be fetched, so the token could not be checked. */
  | { readonly ok: false; readonly reason: "invalid" | "unavailable" };

const ASYMMETRIC = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA",
] as const;
/** JWT `sub` values accepted as user ids: printable ASCII without spaces. */
export const JWT_SUB_PATTERN = /^[\x21-\x7e]{1,128}$/;
/** An issuer's clock may run this far ahead of ours: a token of exactly the longest lifetime passes. */
const CLOCK_LEEWAY_S = 60;
/** The token types accepted in the header (compared case-insensitively, "application/" aside). */
const ACCEPTED_TYPES = ["JWT", "at+jwt"] as const;
const JWKS_TTL_MS = 10 * 60_000;
/**
 * While the JWKS cannot be fetched, the last set stays in use this long after it was fetched; then
 * tokens are refused as uncheckable (503). A key the issuer removed is trusted no longer than this.
 */
const JWKS_MAX_STALE_MS = 60 * 60_000;
/** An unknown `kid` refetches the set at most this often (key rotation without a fetch storm). */
const JWKS_REFETCH_MIN_MS = 30_000;
const JWKS_FETCH_TIMEOUT_MS = 3_000;

export class JwksUnavailableError extends Error {
  override readonly name = "JwksUnavailableError";
}

export class JwtVerifier {
  // Settled values only, never a shared in-flight promise: in workerd a promise settled by another
  // request's I/O may hang. Concurrent first requests each fetch the set once.
  #jwks: { keys: HonoJsonWebKey[]; fetchedAt: number } | undefined;
  /** When a fetch of the set last failed (ms, this.now()). */
  #lastFailure = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly settings: JwtSettings,
    private readonly fetchImpl: typeof fetch = (input, init) => fetch(input, init),
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.settings.secret !== undefined || this.settings.jwksUrl !== undefined;
  }

  async verify(token: string): Promise<JwtResult> {
    let alg: string;
    let kid: string | undefined;
    let typ: unknown;
    try {
      const header = decodeHeader(token);
      alg = header.alg;
      kid = header.kid;
      typ = (header as { typ?: unknown }).typ;
    } catch {
      return { ok: false, reason: "invalid" };
    }
    const options = {
      ...(this.settings.issuer === undefined ? {} : { iss: this.settings.issuer }),
      ...(this.settings.audience === undefined ? {} : { aud: this.settings.audience }),
      // `typ` absent or JWT, or an OAuth access token (RFC 9068 "at+jwt"); hono's default
      // accepts only the first two.
      ...(typ === undefined ? {} : { typ: [...ACCEPTED_TYPES] }),
      // Checked below with the leeway an issuer's clock needs; hono's own checks have none.
      nbf: false,
      iat: false,
    };
    let payload: Record<string, unknown>;
    try {
      if (alg === "HS256") {
        if (this.settings.secret === undefined) return { ok: false, reason: "invalid" };
        payload = await verify(token, this.settings.secret, { alg: "HS256", ...options });
      } else if ((ASYMMETRIC as readonly string[]).includes(alg) && this.settings.jwksUrl !== undefined) {
        const keys = await this.#keysFor(kid);
        payload = await verifyWithJwks(token, { keys, allowedAlgorithms: ASYMMETRIC, verification: options });
      } else {
        return { ok: false, reason: "invalid" };
      }
    } catch (error) {
      if (error instanceof JwksUnavailableError) return { ok: false, reason: "unavailable" };
      return { ok: false, reason: "invalid" };
    }
    const { sub, exp, nbf, iat } = payload;
    if (typeof exp !== "number" || typeof sub !== "string" || !JWT_SUB_PATTERN.test(sub)) {
      return { ok: false, reason: "invalid" };
    }
    const nowS = this.now() / 1000;
    if (exp - nowS > this.settings.maxLifetimeS + CLOCK_LEEWAY_S) {
      return { ok: false, reason: "invalid" };
    }
    // Not before, and issued no later than, now give or take the issuer's clock.
    for (const t of [nbf, iat]) {
      if (t === undefined) continue;
      if (typeof t !== "number" || !Number.isFinite(t) || t > nowS + CLOCK_LEEWAY_S) {
        return { ok: false, reason: "invalid" };
      }
    }
    return { ok: true, sub };
  }

  /**
   * Cached JWKS keys; refetched when stale, or when `kid` is unknown and the set is not brand new.
   * After a failed fetch, none is tried for JWKS_REFETCH_MIN_MS: during an outage requests do not
   * each wait out a fetch's timeout.
   */
  async #keysFor(kid: string | undefined): Promise<HonoJsonWebKey[]> {
    const now = this.now();
    const cached = this.#jwks;
    const age = cached ? now - cached.fetchedAt : Number.POSITIVE_INFINITY;
    const known = cached?.keys.some((k) => k.kid === kid) ?? false;
    if (cached && age < JWKS_TTL_MS && (known || age < JWKS_REFETCH_MIN_MS)) return cached.keys;
    // Only after a failure: concurrent first requests (a cold isolate) each fetch, as before.
    if (now - this.#lastFailure < JWKS_REFETCH_MIN_MS) return this.#staleKeys(age);
    try {
      return await this.#fetchJwks();
    } catch {
      this.#lastFailure = this.now();
      // A stale set is better than none while the JWKS endpoint is down, for a while.
      return this.#staleKeys(age);
    }
  }

  #staleKeys(age: number): HonoJsonWebKey[] {
    if (this.#jwks && age < JWKS_MAX_STALE_MS) return this.#jwks.keys;
    throw new JwksUnavailableError("JWKS unavailable");
  }

  async #fetchJwks(): Promise<HonoJsonWebKey[]> {
    const url = this.settings.jwksUrl as string;
    let body: unknown;
    try {
      const res = await this.fetchImpl(url, {
        headers: { accept: "application/json" },
        signal: AbortSignal.timeout(JWKS_FETCH_TIMEOUT_MS),
      });
      if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
      body = await res.json();
    } catch (error) {
      throw new JwksUnavailableError("JWKS unavailable", { cause: error });
    }
    const keys = (body as { keys?: unknown }).keys;
    if (!Array.isArray(keys)) throw new JwksUnavailableError("JWKS has no keys array");
    const usable = keys.filter(
      (k): k is HonoJsonWebKey =>
        typeof k === "object" && k !== null && typeof (k as { kid?: unknown }).kid === "string",
    );
    this.#jwks = { keys: usable, fetchedAt: this.now() };
    return usable;
  }
}
