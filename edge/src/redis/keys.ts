/**
 * Every Redis key the edge uses, in one place, under the configured prefix. The analysis id is
 * the hex HMAC of the canonical request (shared/cache-key), so a result is found by id without a
 * pointer key: `{prefix}analysis:v2:{id}`.
 */
import { CACHE_KEY_PREFIX } from "@lanesegnet/shared";

export class KeySpace {
  constructor(readonly prefix: string) {}

  /** The stored result of an analysis. */
  result(id: string): string {
    return `${this.prefix}${CACHE_KEY_PREFIX}${id}`;
  }
  /** Single-flight lock of an analysis in progress. */
  lock(id: string): string {
    return `${this.prefix}lock:${CACHE_KEY_PREFIX}${id}`;
  }
  /** A failure the single-flight leader shares with its waiters for a few seconds. */
  failure(id: string): string {
    return `${this.prefix}failed:${CACHE_KEY_PREFIX}${id}`;
  }
  /** An API key record, by the key's SHA-256 hex. */
  apiKey(hash: string): string {
    return `${this.prefix}apikey:${hash}`;
  }
  /** The secret API keys' tags are made with (auth/api-keys.ts); made once, never changed. */
  apiKeyTagSecret(): string {
    return `${this.prefix}apikey-tag-secret`;
  }
  /** The set of a user's API key hashes. */
  userKeys(user: string): string {
    return `${this.prefix}user-keys:${user}`;
  }
  /** Recent failures of an imagery provider (expires after the cooldown). */
  providerFailures(provider: string): string {
    return `${this.prefix}provider-failures:${provider}`;
  }
  /** The rate limiter's own prefix (it appends the user id and window). */
  get rateLimit(): string {
    return `${this.prefix}ratelimit`;
  }
}

/** The analysis id of a cache key from shared's analysisCacheKey ("analysis:v2:<hex>"). */
export function analysisIdOf(cacheKey: string): string {
  if (!cacheKey.startsWith(CACHE_KEY_PREFIX)) throw new Error(`not an analysis cache key: ${cacheKey}`);
  return cacheKey.slice(CACHE_KEY_PREFIX.length);
}

export const ANALYSIS_ID_PATTERN = /^[0-9a-f]{64}$/;
