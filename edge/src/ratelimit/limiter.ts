/**
 * 50 analyses per hour per user (configurable): @upstash/ratelimit's sliding window in Redis,
 * exact under concurrency (one Lua script per check). No ephemeral in-isolate block cache: every
 * check is Redis's own count, so the 51st request is refused in every isolate alike.
 *
 * When Redis cannot answer (error, or the library's fail-open timeout) the decision is
 * "unavailable"; the caller applies REDIS_DOWN_POLICY (fail-closed: 503; fail-open: the per-isolate
 * MemorySlidingWindow below).
 *
 * `check` can send the library's script inside a RequestBatch, so other commands of the same
 * request (the cached result's GET) share its round trip. The library still runs unchanged: same
 * algorithm object, script, keys, timeout and result handling; only its Redis transport differs.
 */
import { Ratelimit } from "@upstash/ratelimit";
import { RequestBatch } from "../redis/batch.js";
import type { EdgeRedis } from "../redis/client.js";
import { WINDOW_MS, WINDOW_S, type WindowCounts } from "./headers.js";
import { type LimitDecision, MemorySlidingWindow } from "./memory.js";

export type RateCheck =
  | ({ readonly source: "redis" | "memory" } & LimitDecision)
  | { readonly source: "unavailable" };

export class AnalysisRateLimiter {
  readonly #ratelimit: Ratelimit;
  readonly #options: Omit<ConstructorParameters<typeof Ratelimit>[0], "redis">;
  readonly #fallback: MemorySlidingWindow;
  readonly #redis: EdgeRedis;
  readonly #prefix: string;

  constructor(
    redis: EdgeRedis,
    prefix: string,
    readonly limit: number,
    /** Longer than the Redis client's own timeout, so a slow Redis fails as an error first. */
    timeoutMs: number,
  ) {
    this.#options = {
      prefix,
      limiter: Ratelimit.slidingWindow(limit, `${WINDOW_S} s`),
      ephemeralCache: false,
      analytics: false,
      enableProtection: false,
      enableTelemetry: false,
      timeout: timeoutMs,
    };
    this.#ratelimit = new Ratelimit({ redis, ...this.#options });
    this.#redis = redis;
    this.#prefix = prefix;
    this.#fallback = new MemorySlidingWindow(limit, WINDOW_S * 1000);
  }

  /** A batch on the limiter's Redis, for commands that should share the limiter's round trip. */
  batch(): RequestBatch {
    return new RequestBatch(this.#redis);
  }

  /**
   * Count one analysis request of `user` in Redis. `waitUntil` receives the library's pending work.
   * With `batch`, the library's script joins that request's batch (call this first, then add the
   * other commands in the same synchronous turn).
   */
  async check(
    user: string,
    waitUntil: (p: Promise<unknown>) => void,
    batch?: RequestBatch,
  ): Promise<RateCheck> {
    try {
      // A Ratelimit is a few fields: one per batched request costs microseconds and keeps the
      // library's own code path (the batch stands in for the @upstash/redis client it calls).
      const ratelimit = batch
        ? new Ratelimit({ redis: batch as unknown as EdgeRedis, ...this.#options })
        : this.#ratelimit;
      const r = await ratelimit.limit(user);
      waitUntil(r.pending);
      // The library answers success on its own timeout: that is Redis not answering, not a pass.
      if (r.reason === "timeout") return { source: "unavailable" };
      return { source: "redis", success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset };
    } catch {
      return { source: "unavailable" };
    }
  }

  /**
   * Give back one counted request of `user` (the library's refund: its script with rate -1), for a
   * request counted before it turned out not to be one (a revoked API key, see middleware/rate-limit).
   */
  async refund(user: string): Promise<void> {
    await this.#ratelimit.limit(user, { rate: -1 });
  }

  /**
   * The counts of the two fixed windows a Redis decision with this `reset` was made on (for the
   * refusal's Retry-After, ratelimit/headers.ts): one round trip. Keys are the library's sliding
   * window layout, `{prefix}:{user}:{window index}`. Undefined when Redis does not answer.
   */
  async windowCounts(user: string, reset: number): Promise<WindowCounts | undefined> {
    const window = Math.round(reset / WINDOW_MS) - 1;
    const key = (w: number) => `${this.#prefix}:${user}:${w}`;
    try {
      const batch = this.batch();
      const [current, previous] = await Promise.all([batch.get(key(window)), batch.get(key(window - 1))]);
      const counts = { previous: Number(previous ?? 0), current: Number(current ?? 0) };
      return Number.isFinite(counts.previous) && Number.isFinite(counts.current) ? counts : undefined;
    } catch {
      return undefined;
    }
  }

  /** The per-isolate count used while Redis is down under the fail-open policy. */
  checkInMemory(user: string, now?: number): RateCheck {
    return { source: "memory", ...this.#fallback.check(user, now) };
  }
}
