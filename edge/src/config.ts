/**
 * The edge's configuration, read once per isolate from the Worker's env (wrangler.toml [vars] for
 * non-secrets, `wrangler secret put` / .dev.vars for secrets). Every value is checked here, so a
 * misconfigured Worker fails loudly on its first request instead of misbehaving later.
 * edge/README.md lists every variable with its default and meaning.
 */
import {
  IMAGERY_PROVIDERS,
  type ImageryProviderName,
  isSecureServiceUrl,
  MIN_SECRET_LENGTH,
  plainMessage,
  SECURE_URL_RULE,
} from "@lanesegnet/shared";
import { z } from "zod";

export const REDIS_DOWN_POLICIES = ["fail-closed", "fail-open"] as const;
export type RedisDownPolicy = (typeof REDIS_DOWN_POLICIES)[number];

export interface EdgeConfig {
  readonly redis: {
    readonly url: string;
    readonly token: string;
    /** Prepended to every key the edge writes (several deployments or test suites can share a Redis). */
    readonly keyPrefix: string;
    /** Per-command timeout; a slower Redis counts as unreachable. */
    readonly timeoutMs: number;
  };
  readonly backend: {
    readonly url: string;
    readonly signingSecret: string;
    /** Whole-call budget for one analysis (both attempts together). */
    readonly timeoutMs: number;
  };
  readonly jwt: {
    readonly secret: string | undefined;
    readonly jwksUrl: string | undefined;
    readonly issuer: string | undefined;
    readonly audience: string | undefined;
    readonly maxLifetimeS: number;
  };
  readonly rateLimit: { readonly perHour: number };
  /** Seconds a valid API key is remembered per isolate (0: every request asks Redis). */
  readonly authCacheTtlS: number;
  readonly cache: {
    /**
     * What analysis ids are made with (RESULT_ID_SECRET), or undefined: then a key derived from
     * the backend signing secret (cache/id-key.ts).
     */
    readonly idSecret: string | undefined;
    readonly ttlS: number;
    /** Lifetime of a result made after a preferred provider failed (AnalysisServiceDeps.degradedTtlMs). */
    readonly degradedTtlS: number;
    /** Bodies at least this long are stored gzip-compressed. */
    readonly compressMinBytes: number;
    /** Entries larger than this (after compression) are not stored (Upstash's request limit is 10 MB). */
    readonly maxEntryBytes: number;
    /** Results an isolate keeps to answer hits without reading them again (0: none). */
    readonly hotMaxBytes: number;
  };
  /** Exact origins allowed by CORS; empty: no cross-origin access. */
  readonly corsOrigins: readonly string[];
  readonly providerChain: readonly ImageryProviderName[];
  readonly providerHealth: {
    /** A provider with this many recent failures goes to the end of the list (tried last)… */
    readonly failureThreshold: number;
    /** …until this many seconds after its last failure. */
    readonly cooldownS: number;
  };
  readonly model: { readonly name: string; readonly version: string };
  /** The backend's confidence threshold for requests that give none (part of the cache key). */
  readonly defaultMinConfidence: number;
  /** The model's coarsest analysed ground resolution, m/px (MODEL_MAX_GSD_M; its card's trained_gsd_m.max). */
  readonly modelMaxGsdM: number;
  /** The model's finest analysed ground resolution, m/px (MODEL_MIN_GSD_M; trained_gsd_m.min). */
  readonly modelMinGsdM: number;
  readonly redisDownPolicy: RedisDownPolicy;
  /** How long a failed analysis answers identical requests (shared with single-flight waiters). */
  readonly failureShareS: number;
  /** Where the serialised coverage index is fetched from (absent: local coverage unknown). */
  readonly coverageIndexUrl: string | undefined;
}

/** Raised for a bad configuration; the message names variables, never their values. */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

const text = z.string().trim();
const optionalText = text.optional().transform((v) => (v === undefined || v === "" ? undefined : v));
// Every URL the edge fetches decides something it trusts (shared/src/service-url.ts): the JWKS
// mints valid tokens, the backend's answers are cached and shared, Upstash holds keys and results.
const httpUrl = text.refine(isSecureServiceUrl, { error: SECURE_URL_RULE });
const optionalHttpUrl = optionalText.refine((v) => v === undefined || isSecureServiceUrl(v), {
  error: SECURE_URL_RULE,
});
const intVar = (def: number, min: number, max: number) =>
  z
    .union([z.string(), z.number()])
    .optional()
    .transform((v) => (v === undefined || v === "" ? def : Number(v)))
    .pipe(z.int().min(min).max(max));
const numberVar = (def: number, min: number, max: number) =>
  z
    .union([z.string(), z.number()])
    .optional()
    .transform((v) => (v === undefined || v === "" ? def : Number(v)))
    .pipe(z.number().min(min).max(max));
const list = (def: string) =>
  z
    .string()
    .optional()
    .transform((v) =>
      (v ?? def)
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s.length > 0),
    );

const EnvSchema = z.object({
  UPSTASH_REDIS_REST_URL: httpUrl,
  UPSTASH_REDIS_REST_TOKEN: text.min(1),
  REDIS_KEY_PREFIX: z
    .string()
    .optional()
    .transform((v) => v ?? "lsn:")
    .pipe(
      z
        .string()
        .max(100)
        .regex(/^[A-Za-z0-9:_.-]*$/, "letters, digits and : _ . - only"),
    ),
  REDIS_TIMEOUT_MS: intVar(2_000, 50, 30_000),
  // A base the routes are appended to: a query or fragment would swallow them.
  BACKEND_URL: httpUrl.refine((v) => !/[?#]/.test(v), { error: "must have no query or fragment" }),
  BACKEND_SIGNING_SECRET: text.min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters`),
  BACKEND_TIMEOUT_MS: intVar(30_000, 100, 300_000),
  JWT_SECRET: optionalText.refine((v) => v === undefined || v.length >= 32, {
    error: "must be at least 32 characters (HS256 needs a 256-bit secret)",
  }),
  JWT_JWKS_URL: optionalHttpUrl,
  JWT_ISSUER: optionalText,
  JWT_AUDIENCE: optionalText,
  // Identity providers issue access tokens for minutes to hours; a day bounds what a token minted
  // with a far-future exp (by mistake, or stolen with the signing key's help) is worth.
  JWT_MAX_LIFETIME_S: intVar(86_400, 60, 31_536_000),
  RATE_LIMIT_PER_HOUR: intVar(50, 1, 1_000_000),
  AUTH_CACHE_TTL_S: intVar(0, 0, 3_600),
  RESULT_ID_SECRET: optionalText.refine((v) => v === undefined || v.length >= MIN_SECRET_LENGTH, {
    error: `must be at least ${MIN_SECRET_LENGTH} characters`,
  }),
  CACHE_TTL_S: intVar(2_592_000, 1, 31_536_000),
  DEGRADED_CACHE_TTL_S: intVar(3_600, 1, 31_536_000),
  // Below this a hit serves the stored text as is; gunzip + base64 on every hit of a typical
  // 50 KB result cost ~15 % of the hit path's CPU (docs/PERFORMANCE.md). Hits count against the
  // hourly quota, so the extra Redis bandwidth of uncompressed results stays small.
  CACHE_COMPRESS_MIN_BYTES: intVar(262_144, 0, 100_000_000),
  CACHE_MAX_ENTRY_BYTES: intVar(8_000_000, 1_024, 9_500_000),
  // Hot results held per isolate (cache/hot-results.ts): 16 MiB of an isolate's 128 MB is a few
  // hundred typical results; a hit on one of them reads its header line from Redis, not its body.
  CACHE_HOT_MAX_BYTES: intVar(16_777_216, 0, 67_108_864),
  CORS_ORIGINS: list(""),
  PROVIDER_CHAIN: list(IMAGERY_PROVIDERS.join(",")),
  PROVIDER_FAILURE_THRESHOLD: intVar(1, 1, 1_000),
  PROVIDER_COOLDOWN_S: intVar(60, 1, 86_400),
  MODEL_NAME: text.min(1).max(100),
  MODEL_VERSION: text.min(1).max(100),
  DEFAULT_MIN_CONFIDENCE: numberVar(0.5, 0, 1),
  // The shipped model's trained_gsd_m.max and .min (models/lanesegnet-lite.json; wrangler.toml is
  // pinned to them by scripts/guard/wrangler-vars.test.ts). The backend analyses coarser (finer)
  // requests at the max (min).
  MODEL_MAX_GSD_M: numberVar(0.34984, 0.05, 2),
  MODEL_MIN_GSD_M: numberVar(0.08025, 0.05, 2),
  REDIS_DOWN_POLICY: z
    .string()
    .optional()
    .transform((v) => (v === undefined || v === "" ? "fail-closed" : v))
    .pipe(z.enum(REDIS_DOWN_POLICIES)),
  FAILURE_SHARE_S: intVar(5, 1, 300),
  COVERAGE_INDEX_URL: optionalHttpUrl,
});

/** The env variables the edge reads (all strings in a Worker; numbers allowed for tests). */
export type EdgeEnv = { readonly [K in keyof z.input<typeof EnvSchema>]?: string | number };
export const ENV_KEYS = Object.keys(EnvSchema.shape) as readonly (keyof z.input<typeof EnvSchema>)[];

function isProvider(name: string): name is ImageryProviderName {
  return (IMAGERY_PROVIDERS as readonly string[]).includes(name);
}

/** Parse and check the Worker env; throws ConfigError naming every bad variable. */
export function loadConfig(env: Readonly<Record<string, unknown>>): EdgeConfig {
  const picked: Record<string, unknown> = {};
  for (const k of ENV_KEYS) if (env[k] !== undefined) picked[k] = env[k];
  const parsed = EnvSchema.safeParse(picked);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "env"}: ${plainMessage(i)}`);
    throw new ConfigError(`invalid edge configuration: ${problems.join("; ")}`);
  }
  const e = parsed.data;
  const chain = e.PROVIDER_CHAIN;
  const unknown = chain.filter((p) => !isProvider(p));
  if (unknown.length > 0 || chain.length === 0 || new Set(chain).size !== chain.length) {
    throw new ConfigError(
      `invalid edge configuration: PROVIDER_CHAIN must be distinct names from ${IMAGERY_PROVIDERS.join(", ")}`,
    );
  }
  if (e.MODEL_MIN_GSD_M > e.MODEL_MAX_GSD_M) {
    throw new ConfigError(
      "invalid edge configuration: MODEL_MIN_GSD_M must not exceed MODEL_MAX_GSD_M (the card's trained_gsd_m min and max)",
    );
  }
  const badOrigin = e.CORS_ORIGINS.find((o) => !/^https?:\/\/[^/\s]+$/.test(o));
  if (badOrigin !== undefined) {
    throw new ConfigError(
      "invalid edge configuration: CORS_ORIGINS must be origins like https://app.example.com",
    );
  }
  return {
    redis: {
      url: e.UPSTASH_REDIS_REST_URL,
      token: e.UPSTASH_REDIS_REST_TOKEN,
      keyPrefix: e.REDIS_KEY_PREFIX,
      timeoutMs: e.REDIS_TIMEOUT_MS,
    },
    backend: {
      url: e.BACKEND_URL.replace(/\/+$/, ""),
      signingSecret: e.BACKEND_SIGNING_SECRET,
      timeoutMs: e.BACKEND_TIMEOUT_MS,
    },
    jwt: {
      secret: e.JWT_SECRET,
      jwksUrl: e.JWT_JWKS_URL,
      issuer: e.JWT_ISSUER,
      audience: e.JWT_AUDIENCE,
      maxLifetimeS: e.JWT_MAX_LIFETIME_S,
    },
    rateLimit: { perHour: e.RATE_LIMIT_PER_HOUR },
    authCacheTtlS: e.AUTH_CACHE_TTL_S,
    cache: {
      idSecret: e.RESULT_ID_SECRET,
      ttlS: e.CACHE_TTL_S,
      degradedTtlS: e.DEGRADED_CACHE_TTL_S,
      compressMinBytes: e.CACHE_COMPRESS_MIN_BYTES,
      maxEntryBytes: e.CACHE_MAX_ENTRY_BYTES,
      hotMaxBytes: e.CACHE_HOT_MAX_BYTES,
    },
    corsOrigins: e.CORS_ORIGINS,
    providerChain: chain.filter(isProvider),
    providerHealth: { failureThreshold: e.PROVIDER_FAILURE_THRESHOLD, cooldownS: e.PROVIDER_COOLDOWN_S },
    model: { name: e.MODEL_NAME, version: e.MODEL_VERSION },
    defaultMinConfidence: e.DEFAULT_MIN_CONFIDENCE,
    modelMaxGsdM: e.MODEL_MAX_GSD_M,
    modelMinGsdM: e.MODEL_MIN_GSD_M,
    redisDownPolicy: e.REDIS_DOWN_POLICY,
    failureShareS: e.FAILURE_SHARE_S,
    coverageIndexUrl: e.COVERAGE_INDEX_URL,
  };
}
