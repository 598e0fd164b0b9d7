import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  connectRedis,
  deleteKeysWithPrefix,
  keyPrefix,
  startStack,
  type TestStack,
} from "../../../test/harness/index.js";
import { createRedisClient } from "../redis/client.js";
import {
  RETRY_MARGIN_S,
  rateLimitHeaders,
  retryAfterS,
  slotFreesAtMs,
  WINDOW_MS,
  type WindowCounts,
} from "./headers.js";
import { AnalysisRateLimiter } from "./limiter.js";
import { MemorySlidingWindow } from "./memory.js";

const S = 1000;
/** The start of an hour, as the windows are aligned (epoch ms multiple of the window). */
const K = 480_000 * WINDOW_MS;

/** @upstash/ratelimit's single-region sliding-window script, transcribed: may one more request in? */
function libraryAdmits(limit: number, previous: number, current: number, nowMs: number): boolean {
  const percentageInCurrent = (nowMs % WINDOW_MS) / WINDOW_MS;
  return Math.floor((1 - percentageInCurrent) * previous) + current < limit;
}

/** The counts at `atMs` of a state that held `counts` in the window ending at `reset`, nothing added. */
function countsAt(reset: number, counts: WindowCounts, atMs: number): WindowCounts {
  if (atMs < reset) return counts;
  if (atMs < reset + WINDOW_MS) return { previous: counts.current, current: 0 };
  return { previous: 0, current: 0 };
}

function admittedAt(limit: number, reset: number, counts: WindowCounts, atMs: number): boolean {
  const c = countsAt(reset, counts, atMs);
  return libraryAdmits(limit, c.previous, c.current, atMs);
}

const refused = (limit: number, reset: number) => ({ success: false, limit, remaining: 0, reset });

describe("Retry-After from the sliding window's counts", () => {
  it("50 in the previous window and 35 in this one, 2,486 s in: a slot frees in 34 s, Retry-After 36 (was 1,186)", () => {
    const now = K + 2_486 * S;
    const reset = K + WINDOW_MS;
    const counts = { previous: 50, current: 35 };
    expect(libraryAdmits(50, 50, 35, now)).toBe(false);
    // 50 × ahead < 15 from 70 % of the window on: 2,520 s, strictly after it.
    expect(slotFreesAtMs(50, reset, counts, "floor") - now).toBe(34_001);
    const retryAfter = retryAfterS(refused(50, reset), now, counts);
    expect(retryAfter).toBe(35 + RETRY_MARGIN_S);
    expect(retryAfter).toBeLessThan(60); // the fixed-window figure was 1,114 + 72 = 1,186
    expect(admittedAt(50, reset, counts, now + 34_000)).toBe(false);
    expect(admittedAt(50, reset, counts, now + retryAfter * S)).toBe(true);
  });

  it("the current window alone at the limit: 1 ms after the reset, whatever the previous window held", () => {
    const now = K + 2_486 * S;
    const reset = K + WINDOW_MS;
    for (const previous of [0, 20, 50]) {
      const counts = { previous, current: 50 };
      // The full window becomes the previous one: floor(50 × ahead) = 49 as soon as ahead < 1.
      expect(slotFreesAtMs(50, reset, counts, "floor")).toBe(reset + 1);
      expect(retryAfterS(refused(50, reset), now, counts)).toBe(1_115 + RETRY_MARGIN_S);
      expect(admittedAt(50, reset, counts, reset)).toBe(false);
      expect(admittedAt(50, reset, counts, reset + 1)).toBe(true);
    }
  });

  it("more than the limit in the current window (a lowered limit): part of the next window", () => {
    const reset = K + WINDOW_MS;
    const counts = { previous: 0, current: 60 };
    // 60 × ahead < 50 once ahead < 5/6: 600 s into the next window, strictly after.
    expect(slotFreesAtMs(50, reset, counts, "floor")).toBe(reset + 600_001);
    expect(retryAfterS(refused(50, reset), reset - 10 * S, counts)).toBe(611 + RETRY_MARGIN_S);
    expect(admittedAt(50, reset, counts, reset + 600_000)).toBe(false);
    expect(admittedAt(50, reset, counts, reset + 600_001)).toBe(true);
  });

  it("is the first instant the library admits, for refusals across limits, counts and positions", () => {
    let checked = 0;
    let earlier = 0;
    for (const limit of [1, 2, 7, 50, 1_000]) {
      for (const previous of [0, 1, limit - 1, limit, limit + 3, 3 * limit]) {
        for (const current of [0, 1, Math.floor(limit / 2), limit - 1, limit, limit + 2]) {
          for (const into of [0, 1, 999, 600_000, 2_486_000, 3_599_999]) {
            const now = K + into;
            const reset = K + WINDOW_MS;
            const counts = { previous: Math.max(0, previous), current: Math.max(0, current) };
            if (admittedAt(limit, reset, counts, now)) continue; // not a refusal
            const at = slotFreesAtMs(limit, reset, counts, "floor");
            expect(at).toBeGreaterThan(now);
            expect(admittedAt(limit, reset, counts, at)).toBe(true);
            // Where the weight lands exactly on the bound (5 × 0.2 = 1), the script's floating point
            // may let it in 1 ms earlier; before that, never.
            if (at - 2 >= now) expect(admittedAt(limit, reset, counts, at - 2)).toBe(false);
            if (at - 1 >= now && admittedAt(limit, reset, counts, at - 1)) earlier++;
            // A client that waits Retry-After is in, even judged by a clock up to 999 ms behind.
            const retryAfter = retryAfterS(refused(limit, reset), now, counts);
            expect(retryAfter).toBeGreaterThanOrEqual(1);
            expect(admittedAt(limit, reset, counts, now + retryAfter * S - 999)).toBe(true);
            expect(retryAfter * S).toBeLessThanOrEqual(at - now + (1 + RETRY_MARGIN_S) * S);
            checked++;
          }
        }
      }
    }
    expect(checked).toBeGreaterThan(300);
    expect(earlier).toBeLessThan(checked / 10);
  });

  it("never says less than 1 s, even when the counts read already admit", () => {
    const now = K + 3_000 * S;
    expect(retryAfterS(refused(50, K + WINDOW_MS), now, { previous: 0, current: 10 })).toBe(1);
  });
});

describe("RateLimit on a refusal", () => {
  it("repeats Retry-After as t", () => {
    const now = K + 2_486 * S;
    const d = refused(50, K + WINDOW_MS);
    const retryAfter = retryAfterS(d, now, { previous: 50, current: 35 });
    expect(rateLimitHeaders(d, now, retryAfter)).toEqual({
      "RateLimit-Policy": '"hourly";q=50;w=3600',
      RateLimit: `"hourly";r=0;t=${retryAfter}`,
    });
    // Without counts, t is the bound retryAfterS gives for unknown counts.
    expect(rateLimitHeaders(d, now).RateLimit).toBe(`"hourly";r=0;t=${retryAfterS(d, now)}`);
  });

  it("on a pass, t is still the seconds to the end of the current window", () => {
    const d = { success: true, limit: 50, remaining: 3, reset: K + WINDOW_MS };
    expect(rateLimitHeaders(d, K + 2_486 * S, 5).RateLimit).toBe('"hourly";r=3;t=1114');
  });
});

describe("Retry-After without counts (the in-memory fallback)", () => {
  it("admits a user who spent the whole quota in the current window once Retry-After has passed", () => {
    const limiter = new MemorySlidingWindow(50, WINDOW_MS);
    const start = K + 100 * S;
    for (let i = 0; i < 50; i++) expect(limiter.check("u", start).success).toBe(true);
    const now = K + 2_486 * S;
    const d = limiter.check("u", now);
    expect(d.success).toBe(false);
    const retryAfter = retryAfterS(d, now);
    expect(retryAfter).toBe(1_114 + 72);
    expect(limiter.check("u", now + (retryAfter - 2) * S).success).toBe(false);
    expect(limiter.check("u", now + retryAfter * S).success).toBe(true);
  });
});

describe("with @upstash/ratelimit on real Redis, the limiter's clock set", () => {
  let stack: TestStack;
  const prefix = keyPrefix("edge-ratelimit-headers");

  beforeAll(async () => {
    stack = await startStack();
  });

  afterAll(async () => {
    vi.useRealTimers();
    if (!stack) return;
    const direct = await connectRedis(stack.redisUrl);
    await deleteKeysWithPrefix(direct, prefix);
    await direct.quit();
    await stack.close();
  });

  it("50 in the previous hour, 35 in this one: refused, Retry-After 36, in when a client waits it", async () => {
    const redis = createRedisClient({ url: stack.url, token: stack.token, timeoutMs: 5_000 });
    const limiter = new AnalysisRateLimiter(redis, `${prefix}ratelimit`, 50, 10_000);
    const check = async (atMs: number) => {
      vi.setSystemTime(atMs);
      const d = await limiter.check("straddler", () => {});
      if (d.source !== "redis") throw new Error(`Redis did not decide: ${d.source}`);
      return d;
    };
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      // Any hour will do: the keys expire in Redis's own time, two windows after they are made.
      const k = K;
      for (let i = 0; i < 50; i++) expect((await check(k - WINDOW_MS + 60 * S)).success).toBe(true);
      const now = k + 2_486 * S;
      const passed = [];
      for (let i = 0; i < 36; i++) passed.push((await check(now)).success);
      expect(passed.filter(Boolean)).toHaveLength(35);
      const d = await check(now);
      expect(d).toMatchObject({ success: false, remaining: 0, reset: k + WINDOW_MS });

      // The limiter reads back the counts under the library's keys.
      const counts = await limiter.windowCounts("straddler", d.reset);
      expect(counts).toEqual({ previous: 50, current: 35 });
      const retryAfter = retryAfterS(d, now, counts);
      expect(retryAfter).toBe(36);

      expect((await check(now + 33 * S)).success).toBe(false);
      expect((await check(now + retryAfter * S)).success).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
