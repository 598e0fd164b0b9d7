/**
 * Everything the app needs, built once per isolate from the configuration. Tests and the load
 * harness build the same graph; nothing here reads the env directly.
 */
import { AnalysisService } from "./analyses/service.js";
import { type AuditSink, consoleAuditSink } from "./audit/log.js";
import { ApiKeyStore } from "./auth/api-keys.js";
import { JwtVerifier } from "./auth/jwt.js";
import { ApiKeyCache } from "./auth/key-cache.js";
import { BackendClient } from "./backend/client.js";
import { HotResults } from "./cache/hot-results.js";
import { resultIdKey } from "./cache/id-key.js";
import { SingleFlight } from "./cache/single-flight.js";
import type { EdgeConfig } from "./config.js";
import { COVERAGE_FETCH_TIMEOUT_MS, CoverageSource } from "./providers/coverage.js";
import { ProviderHealthStore } from "./providers/health.js";
import { AnalysisRateLimiter } from "./ratelimit/limiter.js";
import { createRedisClient, type EdgeRedis } from "./redis/client.js";
import { KeySpace } from "./redis/keys.js";

export interface EdgeDeps {
  readonly config: EdgeConfig;
  readonly redis: EdgeRedis;
  readonly keys: KeySpace;
  readonly apiKeys: ApiKeyStore;
  readonly apiKeyCache: ApiKeyCache;
  readonly jwt: JwtVerifier;
  readonly limiter: AnalysisRateLimiter;
  readonly backend: BackendClient;
  readonly health: ProviderHealthStore;
  readonly coverage: CoverageSource;
  readonly analyses: AnalysisService;
  readonly auditSink: AuditSink;
  /** The key analysis ids are made with (cache/id-key.ts), imported on first use. */
  readonly resultIdKey: () => Promise<CryptoKey>;
}

export interface DepsOverrides {
  readonly fetch?: typeof fetch;
  readonly auditSink?: AuditSink;
}

/** Margin of the single-flight lock over the leader's time budget. */
const LOCK_MARGIN_MS = 5_000;

/**
 * How long a leader may hold the single-flight lock: everything it does while holding it, each
 * bounded. Before the backend call it reads provider health (a Redis call: two tries) and, on a
 * cold isolate, loads the coverage index, at once; then the backend call. A lock that expired
 * under a working leader let a waiter call the backend a second time for the same analysis.
 */
export function singleFlightLockTtlMs(config: EdgeConfig): number {
  const beforeBackend = Math.max(COVERAGE_FETCH_TIMEOUT_MS, 2 * config.redis.timeoutMs + 100);
  return beforeBackend + config.backend.timeoutMs + LOCK_MARGIN_MS;
}

export function buildDeps(config: EdgeConfig, overrides: DepsOverrides = {}): EdgeDeps {
  const redis = createRedisClient(config.redis);
  const keys = new KeySpace(config.redis.keyPrefix);
  const backend = new BackendClient(config.backend, overrides.fetch);
  const health = new ProviderHealthStore(
    redis,
    keys,
    config.providerHealth.failureThreshold,
    config.providerHealth.cooldownS,
  );
  const coverage = new CoverageSource(config.coverageIndexUrl, overrides.fetch);
  const lockTtlMs = singleFlightLockTtlMs(config);
  // The settled key, not the pending import: workerd must not await one request's promise in
  // another. Two first requests may both import it; the second assignment is the same key.
  let idKey: CryptoKey | undefined;
  const flight = new SingleFlight(redis, keys, {
    lockTtlMs,
    // A waiter waits as long as the leader may take, then a little for the result to land.
    waitMs: lockTtlMs + 1_000,
    resultTtlMs: config.cache.ttlS * 1000,
    failureTtlMs: config.failureShareS * 1000,
  });
  return {
    config,
    redis,
    keys,
    apiKeys: new ApiKeyStore(redis, keys),
    apiKeyCache: new ApiKeyCache(config.authCacheTtlS * 1000),
    jwt: new JwtVerifier(config.jwt, overrides.fetch),
    limiter: new AnalysisRateLimiter(
      redis,
      keys.rateLimit,
      config.rateLimit.perHour,
      config.redis.timeoutMs + 500,
    ),
    backend,
    health,
    coverage,
    resultIdKey: async () => {
      idKey ??= await resultIdKey({
        idSecret: config.cache.idSecret,
        signingSecret: config.backend.signingSecret,
      });
      return idKey;
    },
    analyses: new AnalysisService({
      redis,
      keys,
      flight,
      backend,
      health,
      coverage,
      model: config.model,
      chain: config.providerChain,
      cache: config.cache,
      resultTtlMs: config.cache.ttlS * 1000,
      degradedTtlMs: config.cache.degradedTtlS * 1000,
      redisDownPolicy: config.redisDownPolicy,
      hot: new HotResults(config.cache.hotMaxBytes),
    }),
    auditSink: overrides.auditSink ?? consoleAuditSink,
  };
}
