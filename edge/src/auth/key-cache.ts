/**
 * An optional per-isolate cache of API-key lookups (AUTH_CACHE_TTL_S, default 0 = off). With it,
 * a hit costs one Redis round trip less, at a price: a revoked key keeps working in an isolate
 * that has seen it for up to the TTL. Only valid keys are cached, so a new key works at once, and
 * the map is bounded.
 */
import type { ApiKeyRecord } from "./api-keys.js";

type Lookup = ApiKeyRecord & { keyId: string };

export class ApiKeyCache {
  readonly #entries = new Map<string, { record: Lookup; expires: number }>();

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
    if (this.#entries.size >= this.maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, { record, expires: this.now() + this.ttlMs });
  }
}
