/**
 * 50 analyses per hour per user (configurable): @upstash/ratelimit's sliding window in Redis,
 * exact under concurrency (one Lua script per check). No ephemeral in-isolate block cache: every
 * check is Redis's own count, so the 51st request is refused in every isolate alike.
 *
 * When Redis cannot answer (error, or the library's fail-open timeout) the decision is
 * "unavailable"; the caller applies REDIS_DOWN_POLICY (fail-closed: 503; fail-open: the per-isolate
 * MemorySlidingWindow below).
 */
import { Ratelimit } from "@upstash/ratelimit";
import type { Redis } from "../redis/client.js";
import { WINDOW_S } from "./headers.js";
import { type LimitDecision, MemorySlidingWindow } from "./memory.js";

export type RateCheck =
  | ({ readonly source: "redis" | "memory" } & LimitDecision)
  | { readonly source: "unavailable" };

export class AnalysisRateLimiter {
  readonly #ratelimit: Ratelimit;
  readonly #fallback: MemorySlidingWindow;

  constructor(
    redis: Redis,
    prefix: string,
    readonly limit: number,
    /** Longer than the Redis client's own timeout, so a slow Redis fails as an error first. */
    timeoutMs: number,
  ) {
    this.#ratelimit = new Ratelimit({
      redis,
      prefix,
      limiter: Ratelimit.slidingWindow(limit, `${WINDOW_S} s`),
      ephemeralCache: false,
      analytics: false,
      enableProtection: false,
      timeout: timeoutMs,
    });
    this.#fallback = new MemorySlidingWindow(limit, WINDOW_S * 1000);
  }

  /** Count one analysis request of `user` in Redis. `waitUntil` receives the library's pending work. */
  async check(user: string, waitUntil: (p: Promise<unknown>) => void): Promise<RateCheck> {
    try {
      const r = await this.#ratelimit.limit(user);
      waitUntil(r.pending);
      // The library answers success on its own timeout: that is Redis not answering, not a pass.
      if (r.reason === "timeout") return { source: "unavailable" };
      return { source: "redis", success: r.success, limit: r.limit, remaining: r.remaining, reset: r.reset };
    } catch {
      return { source: "unavailable" };
    }
  }

  /** The per-isolate count used while Redis is down under the fail-open policy. */
  checkInMemory(user: string, now?: number): RateCheck {
    return { source: "memory", ...this.#fallback.check(user, now) };
  }
}
