/**
 * An analysis request from cache lookup to stored result:
 *   GET result (the hit path: one Redis command, no parsing of the stored body)
 *   miss -> single flight -> leader: choose providers, call the backend, finalize, store
 * and the Redis-down policy: fail-closed answers 503; fail-open computes without cache or single
 * flight (the rate limit then falls back to a per-isolate count, see ratelimit/limiter.ts).
 */
import type { Problem, ResolvedAnalysisRequest } from "@lanesegnet/shared";
import { PROBLEM_TYPES, problem } from "@lanesegnet/shared";
import { type BackendClient, type BackendFailureCause, NO_IMAGERY_TITLE } from "../backend/client.js";
import {
  CacheEntryError,
  type DecodedEntry,
  decodeEntry,
  ENTRY_HEADER_MAX,
  encodeEntry,
  entryHeaderOf,
  etagOf,
} from "../cache/entry.js";
import { encodeSharedFailure, sharedFailure, stillPending } from "../cache/flight-problems.js";
import type { HotResults } from "../cache/hot-results.js";
import type { SingleFlight } from "../cache/single-flight.js";
import type { RedisDownPolicy } from "../config.js";
import { EDGE_PROBLEM_TYPES } from "../problems.js";
import { chooseProviders, mergeAttempts } from "../providers/choose.js";
import { type CoverageSource, localCoverageOf } from "../providers/coverage.js";
import type { ProviderHealthStore } from "../providers/health.js";
import { type Redis, RedisUnavailableError, redisCall } from "../redis/client.js";
import type { KeySpace } from "../redis/keys.js";
import { finalizeBody } from "./finalize.js";

/** Provider outcomes that say nothing lasting about the area: a later try may use that provider. */
const TRANSIENT_OUTCOMES: ReadonlySet<string> = new Set(["failed", "timeout", "unhealthy"]);

/** What the route turns into a Response. */
export type AnalysisOutcome =
  | {
      readonly kind: "result";
      readonly body: string;
      readonly cache: "HIT" | "MISS";
      readonly etag: string;
      readonly provider: string;
      /** MISS only: whether it was stored (false: too large, model mismatch or Redis down). */
      readonly stored?: boolean;
    }
  | {
      readonly kind: "problem";
      readonly problem: Problem;
      readonly retryAfterS: number | undefined;
      /** For the audit log. */
      readonly cause: BackendFailureCause | "storage" | "pending" | "shared_failure";
    };

/** A result as served on a hit. */
export interface StoredResult {
  readonly body: string;
  readonly etag: string;
  readonly provider: string;
}

/** How a stored result is read: the Redis client, or a request's batch (redis/batch.ts). */
export interface ResultReader {
  get(key: string): Promise<string | null>;
  getrange(key: string, start: number, end: number): Promise<string>;
}

export interface AnalysisServiceDeps {
  readonly redis: Redis;
  readonly keys: KeySpace;
  readonly flight: SingleFlight;
  readonly backend: BackendClient;
  readonly health: ProviderHealthStore;
  readonly coverage: CoverageSource;
  readonly model: { readonly name: string; readonly version: string };
  readonly chain: ResolvedAnalysisRequest["providers"];
  readonly cache: { readonly compressMinBytes: number; readonly maxEntryBytes: number };
  readonly resultTtlMs: number;
  /**
   * Lifetime of a result made after a provider the request preferred failed, timed out or was
   * skipped as unhealthy: long enough to spare the backend during an outage, short enough that the
   * preferred imagery serves the area again once the provider is back (default: resultTtlMs).
   */
  readonly degradedTtlMs?: number;
  readonly redisDownPolicy: RedisDownPolicy;
  /** Results this isolate served lately (may hold nothing: maxBytes 0). */
  readonly hot: HotResults;
  /** Retry-After for a request that waited its whole bound for another's analysis. */
  readonly pendingRetryAfterS?: number;
}

export interface AnalyzeContext {
  readonly id: string;
  readonly requestId: string;
  readonly waitUntil: (p: Promise<unknown>) => void;
  /** The stored result of `id`, already requested (with the rate limiter's script); else read here. */
  readonly stored?: Promise<StoredResult | null>;
}

export class AnalysisService {
  constructor(private readonly deps: AnalysisServiceDeps) {}

  /**
   * A stored result by id: the HIT body, or null when absent or unreadable (an entry of another
   * format is treated as absent and replaced by the next analysis). Throws RedisUnavailableError.
   *
   * `via`: the request's Redis batch (redis/batch.ts); the read is queued synchronously, so it
   * travels in the round trip of whatever the caller queued in the same turn (the rate limiter's
   * script). A result this isolate holds (cache/hot-results.ts) is only confirmed, by the stored
   * entry's header line, instead of read again.
   */
  /**
   * The ETag and provider of a stored result, from its header line alone (one GETRANGE of at most
   * ENTRY_HEADER_MAX bytes): what a conditional GET needs to answer 304 without reading, and
   * decompressing, a result of megabytes. Null when absent or not an entry. Throws
   * RedisUnavailableError.
   */
  async storedHead(id: string): Promise<{ readonly etag: string; readonly provider: string } | null> {
    const start = await redisCall(() =>
      this.deps.redis.getrange(this.deps.keys.result(id), 0, ENTRY_HEADER_MAX - 1),
    );
    return entryHeaderOf(start);
  }

  async stored(id: string, via?: ResultReader): Promise<StoredResult | null> {
    const key = this.deps.keys.result(id);
    const reader: ResultReader = via ?? this.deps.redis;
    const held = this.deps.hot.get(id);
    if (held) {
      const head = await redisCall(() => reader.getrange(key, 0, held.header.length - 1));
      // GETRANGE counts bytes and the header its UTF-16 units: they agree for the ASCII headers
      // we write, and a header that is not ASCII would only never match (and be read whole).
      if (head === held.header) return servedOf(held);
      this.deps.hot.delete(id);
      if (head === "") return null;
      // Replaced by another entry since: read that one (a round trip of its own).
    }
    const raw = await redisCall(() => reader.get(key));
    if (raw === null) return null;
    const entry = await readable(raw);
    if (!entry) return null;
    this.deps.hot.put(id, entry);
    return servedOf(entry);
  }

  async analyze(request: ResolvedAnalysisRequest, ctx: AnalyzeContext): Promise<AnalysisOutcome> {
    try {
      const hit = await (ctx.stored ?? this.stored(ctx.id));
      if (hit) return { kind: "result", cache: "HIT", ...hit };
      const outcome = await this.deps.flight.run(ctx.id, () => this.#compute(request, ctx, true));
      switch (outcome.role) {
        case "hit": {
          const hit = await readable(outcome.stored);
          if (hit) return { kind: "result", cache: "HIT", ...servedOf(hit) };
          // Only an unreadable entry makes the flight report a hit we cannot serve: replace it.
          return await this.#replace(request, ctx);
        }
        case "leader":
          return outcome.value.kind === "result"
            ? { ...outcome.value, stored: outcome.saved }
            : outcome.value;
        case "failed":
          return sharedFailure(outcome.failure);
        case "uncacheable": {
          const computed = await this.#compute(request, ctx, false);
          return computed.value.kind === "result" ? { ...computed.value, stored: false } : computed.value;
        }
        case "timeout":
          return stillPending(
            "Analysis in progress",
            "An identical analysis is still running; retry to get its result.",
            this.deps.pendingRetryAfterS ?? 5,
          );
      }
    } catch (error) {
      if (!(error instanceof RedisUnavailableError)) throw error;
      if (this.deps.redisDownPolicy === "fail-closed") {
        return {
          kind: "problem",
          problem: problem(503, {
            type: EDGE_PROBLEM_TYPES.storageUnavailable,
            title: "Service temporarily unavailable",
            detail: "The result store is unreachable; try again shortly.",
          }),
          retryAfterS: 30,
          cause: "storage",
        };
      }
      // fail-open: answer without cache or single flight.
      const computed = await this.#compute(request, ctx, false);
      return computed.value.kind === "result" ? { ...computed.value, stored: false } : computed.value;
    }
  }

  /** Compute without single flight and overwrite the stored entry (for unreadable entries). */
  async #replace(request: ResolvedAnalysisRequest, ctx: AnalyzeContext): Promise<AnalysisOutcome> {
    const computed = await this.#compute(request, ctx, true);
    if (computed.value.kind !== "result" || !("entry" in computed) || computed.entry === null)
      return computed.value;
    const entry = computed.entry;
    const px = computed.ttlMs ?? this.deps.resultTtlMs;
    const saved = await redisCall(() =>
      this.deps.redis.set(this.deps.keys.result(ctx.id), entry, { px }),
    ).then(
      () => true,
      () => false,
    );
    return { ...computed.value, stored: saved };
  }

  /** The leader's work. `store`: whether to build a cache entry at all. */
  async #compute(
    request: ResolvedAnalysisRequest,
    ctx: AnalyzeContext,
    store: boolean,
  ): Promise<
    | { value: AnalysisOutcome; entry: string | null; ttlMs?: number }
    | { value: AnalysisOutcome; failure: string }
  > {
    const { backend, health, coverage } = this.deps;
    const [healthStates, coverageState] = await Promise.all([
      // Health is advice: when Redis cannot tell, every provider counts as healthy.
      health.read(this.deps.chain).catch(() => []),
      coverage.get(),
    ]);
    const choice = chooseProviders({
      preference: request.providers,
      chain: this.deps.chain,
      localCoverage: localCoverageOf(coverageState, request.area),
      unhealthy: new Set(healthStates.filter((h) => !h.healthy).map((h) => h.provider)),
    });
    if (choice.candidates.length === 0) {
      return this.#fail(
        problem(422, {
          type: PROBLEM_TYPES.noImagery,
          title: NO_IMAGERY_TITLE,
          detail:
            "None of the requested imagery providers is enabled or covers this area; see GET /v1/providers.",
          providers_tried: choice.skipped,
        }),
        undefined,
        "no_imagery",
      );
    }

    const reply = await backend.analyze(request, choice.candidates, {
      requestId: ctx.requestId,
      analysisId: ctx.id,
    });
    if (!reply.ok) {
      if (!reply.attempts) return this.#fail(reply.problem, reply.retryAfterS, reply.cause);
      ctx.waitUntil(health.record(reply.attempts));
      // Why no provider served the area, in the same terms as a result's providers_tried.
      const providers_tried = mergeAttempts(request.providers, choice.skipped, reply.attempts);
      return this.#fail({ ...reply.problem, providers_tried }, reply.retryAfterS, reply.cause);
    }

    ctx.waitUntil(health.record(reply.body.analysis.providers_tried).catch(() => {}));
    const { body, provider, attempts } = finalizeBody(reply.body, ctx.id, request.providers, choice.skipped);
    const etag = await etagOf(body);
    const value: AnalysisOutcome = { kind: "result", cache: "MISS", body, etag, provider };
    if (!this.#sameModel(reply.body.analysis.model)) {
      // Caching it under the configured model's key would serve it for the wrong model; say so.
      console.warn(
        JSON.stringify({
          level: "warn",
          msg: "backend model differs from MODEL_NAME/MODEL_VERSION: result not cached",
          request_id: ctx.requestId,
          configured: this.deps.model,
          backend: reply.body.analysis.model ?? null,
        }),
      );
      return { value, entry: null };
    }
    if (!store) return { value, entry: null };
    const entry = await encodeEntry(body, { etag, provider }, this.deps.cache);
    // Too large for one Upstash request: served, not stored (identical waiters then compute too).
    const stored = entry.length <= this.deps.cache.maxEntryBytes ? entry : null;
    // The merged report: an unhealthy provider that the backend reached after all says what it did.
    const degraded = attempts.some((a) => TRANSIENT_OUTCOMES.has(a.outcome));
    return degraded && this.deps.degradedTtlMs !== undefined
      ? { value, entry: stored, ttlMs: Math.min(this.deps.degradedTtlMs, this.deps.resultTtlMs) }
      : { value, entry: stored };
  }

  #fail(
    p: Problem,
    retryAfterS: number | undefined,
    cause: BackendFailureCause,
  ): { value: AnalysisOutcome; failure: string } {
    return {
      value: { kind: "problem", problem: p, retryAfterS, cause },
      failure: encodeSharedFailure(p, retryAfterS),
    };
  }

  /** A result made by another model than the configured one must not be cached under its key. */
  #sameModel(model: unknown): boolean {
    const m = model as { name?: unknown; version?: unknown } | undefined;
    return m?.name === this.deps.model.name && m?.version === this.deps.model.version;
  }
}

/** Only what a hit serves (not the entry's header or encoding). */
function servedOf(entry: StoredResult): StoredResult {
  return { body: entry.body, etag: entry.etag, provider: entry.provider };
}

async function readable(raw: string): Promise<DecodedEntry | null> {
  try {
    return await decodeEntry(raw);
  } catch (error) {
    if (error instanceof CacheEntryError) return null;
    throw error;
  }
}
