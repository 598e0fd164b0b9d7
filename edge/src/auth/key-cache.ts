/**
 * Per-isolate memory of API keys, two kinds:
 *
 * - An optional cache of lookups (AUTH_CACHE_TTL_S, default 0 = off). With it, a request skips
 *   the key's Redis check entirely, at a price: a revoked key keeps working in an isolate that
 *   has seen it for up to the TTL. Only valid keys are cached, so a new key works at once.
 * - Always: which user a key seen before belongs to (`known`). A key's user never changes, so this
 *   needs no expiry; it is NOT a validity cache. It lets POST /v1/analyses check that the key still
 *   exists in the same Redis round trip as the rate limit (middleware/rate-limit), instead of one
 *   round trip before it; a revoked key is still refused on its next request.
 *
 * Both maps are bounded (oldest entry out first).
 */
import { makeRoom } from "../bounded-map.js";
import type { ApiKeyRecord } from "./api-keys.js";

type Lookup = ApiKeyRecord & { keyId: string };

/** A key whose record is checked later, in the rate limiter's round trip (set by the auth middleware). */
export interface DeferredKeyCheck {
  /** Redis key of the key's record. */
  readonly recordKey: string;
  readonly user: string;
  /** Called when the check fails: the key is forgotten, so its next request is checked up front. */
  readonly forget: () => void;
}

/**
 * Requests whose key check may be deferred: exactly the route whose middleware chain runs the
 * rate-limit middleware, which performs the check (POST /v1/analyses). Every other route checks
 * the key before anything else, as always.
 */
export function checksDeferredKeys(request: { readonly method: string; readonly path: string }): boolean {
  return request.method === "POST" && request.path === "/v1/analyses";
}

export class ApiKeyCache {
  readonly #entries = new Map<string, { record: Lookup; expires: number }>();
  readonly #known = new Map<string, { record: Lookup; hash: string }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  get(key: string): Lookup | undefined {
    const e = this.#entries.get(key);
    if (!e) return undefined;
    if (e.expires <= this.now()) {
      this.#entries.delete(key);
      return undefined;
    }
    return e.record;
  }

  set(key: string, record: Lookup): void {
    if (!this.enabled) return;
    makeRoom(this.#entries, this.maxEntries);
    this.#entries.set(key, { record, expires: this.now() + this.ttlMs });
  }

  /** The user (and record hash) of a key this isolate has seen valid; says nothing about validity now. */
  known(key: string): { record: Lookup; hash: string } | undefined {
    return this.#known.get(key);
  }

  remember(key: string, record: Lookup, hash: string): void {
    if (!this.#known.has(key)) makeRoom(this.#known, this.maxEntries);
    this.#known.set(key, { record, hash });
  }

  forget(key: string): void {
    this.#known.delete(key);
    this.#entries.delete(key);
  }
}
