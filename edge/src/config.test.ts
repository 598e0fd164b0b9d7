import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "./config.js";

const base = {
  UPSTASH_REDIS_REST_URL: "https://eu1-x.upstash.io",
  UPSTASH_REDIS_REST_TOKEN: "token",
  BACKEND_URL: "http://127.0.0.1:8788/",
  BACKEND_SIGNING_SECRET: "x".repeat(32),
  MODEL_NAME: "lanesegnet",
  MODEL_VERSION: "1.0.0",
};

describe("loadConfig", () => {
  it("fills the documented defaults", () => {
    const c = loadConfig(base);
    expect(c.rateLimit.perHour).toBe(50);
    expect(c.cache.ttlS).toBe(2_592_000);
    expect(c.providerChain).toEqual(["local", "esri", "mapbox", "gee"]);
    expect(c.redisDownPolicy).toBe("fail-closed");
    expect(c.redis.keyPrefix).toBe("lsn:");
    expect(c.backend).toMatchObject({ url: "http://127.0.0.1:8788", timeoutMs: 30_000 });
    expect(c.corsOrigins).toEqual([]);
    expect(c.jwt).toEqual({
      secret: undefined,
      jwksUrl: undefined,
      issuer: undefined,
      audience: undefined,
      maxLifetimeS: 86_400,
    });
    expect(c.coverageIndexUrl).toBeUndefined();
    // The rest of edge/README.md's table.
    expect(c.authCacheTtlS).toBe(0);
    expect(c.cache).toMatchObject({
      degradedTtlS: 3_600,
      compressMinBytes: 262_144,
      hotMaxBytes: 16_777_216,
    });
    expect(c.providerHealth).toEqual({ failureThreshold: 1, cooldownS: 60 });
    expect(c.failureShareS).toBe(5);
    expect(c.defaultMinConfidence).toBe(0.5);
  });

  it("reads every variable", () => {
    const c = loadConfig({
      ...base,
      RATE_LIMIT_PER_HOUR: "10",
      CACHE_TTL_S: "60",
      PROVIDER_CHAIN: "esri, local",
      CORS_ORIGINS: "https://a.example.com,http://localhost:5173",
      REDIS_DOWN_POLICY: "fail-open",
      JWT_JWKS_URL: "https://id.example.com/jwks.json",
      JWT_AUDIENCE: "api",
      JWT_MAX_LIFETIME_S: "3600",
      COVERAGE_INDEX_URL: "http://127.0.0.1:8788/coverage-index.bin",
    });
    expect(c.rateLimit.perHour).toBe(10);
    expect(c.providerChain).toEqual(["esri", "local"]);
    expect(c.corsOrigins).toEqual(["https://a.example.com", "http://localhost:5173"]);
    expect(c.redisDownPolicy).toBe("fail-open");
    expect(c.jwt.jwksUrl).toBe("https://id.example.com/jwks.json");
    expect(c.jwt.maxLifetimeS).toBe(3_600);
  });

  it("takes plain http to loopback (the local stack) and https anywhere", () => {
    for (const url of ["http://localhost:8788", "http://[::1]:8788", "https://backend.example.com"]) {
      expect(loadConfig({ ...base, BACKEND_URL: url }).backend.url).toBe(url);
    }
  });

  it.each([
    [{ BACKEND_SIGNING_SECRET: "short" }, "BACKEND_SIGNING_SECRET"],
    [{ UPSTASH_REDIS_REST_URL: "redis://x" }, "UPSTASH_REDIS_REST_URL"],
    // Plain http only to loopback: a JWKS, backend, Upstash or index reached over it could be forged.
    [{ JWT_JWKS_URL: "http://id.example.com/jwks.json" }, "JWT_JWKS_URL"],
    [{ BACKEND_URL: "http://10.0.0.5:8788" }, "BACKEND_URL"],
    [{ UPSTASH_REDIS_REST_URL: "http://eu1-x.upstash.io" }, "UPSTASH_REDIS_REST_URL"],
    [{ COVERAGE_INDEX_URL: "http://cdn.example.com/index.bin" }, "COVERAGE_INDEX_URL"],
    [{ RATE_LIMIT_PER_HOUR: "0" }, "RATE_LIMIT_PER_HOUR"],
    [{ RATE_LIMIT_PER_HOUR: "fifty" }, "RATE_LIMIT_PER_HOUR"],
    [{ PROVIDER_CHAIN: "local,bing" }, "PROVIDER_CHAIN"],
    [{ PROVIDER_CHAIN: "esri,esri" }, "PROVIDER_CHAIN"],
    [{ REDIS_DOWN_POLICY: "maybe" }, "REDIS_DOWN_POLICY"],
    [{ CORS_ORIGINS: "*" }, "CORS_ORIGINS"],
    [{ JWT_SECRET: "too-short" }, "JWT_SECRET"],
    [{ JWT_MAX_LIFETIME_S: "10" }, "JWT_MAX_LIFETIME_S"],
    [{ RESULT_ID_SECRET: "too-short-for-an-id-key" }, "RESULT_ID_SECRET"],
    [{ MODEL_VERSION: "" }, "MODEL_VERSION"],
    // Once clamped silently to [0.2, 0.2]: every request analysed at one resolution.
    [{ MODEL_MIN_GSD_M: "0.5", MODEL_MAX_GSD_M: "0.2" }, "MODEL_MIN_GSD_M"],
    // The routes are appended to the base: they would land in the query.
    [{ BACKEND_URL: "https://backend.example.com?x=1" }, "BACKEND_URL"],
    [{ BACKEND_URL: "https://backend.example.com/#frag" }, "BACKEND_URL"],
  ])("names the bad variable (%o), never its value", (override, name) => {
    let error: unknown;
    try {
      loadConfig({ ...base, ...override });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(name);
    for (const v of Object.values(override))
      if (v.length > 4) expect((error as Error).message).not.toContain(v);
  });
});
