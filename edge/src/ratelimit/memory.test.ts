import { describe, expect, it } from "vitest";
import { policyHeader, rateLimitHeaders, retryAfterS } from "./headers.js";
import { MemorySlidingWindow } from "./memory.js";

const HOUR = 3_600_000;

describe("MemorySlidingWindow", () => {
  it("allows exactly the limit within a window, per user", () => {
    const l = new MemorySlidingWindow(50, HOUR);
    const t = 10 * HOUR + 1000;
    const results = Array.from({ length: 60 }, () => l.check("a", t));
    expect(results.filter((r) => r.success)).toHaveLength(50);
    expect(results.map((r) => r.remaining).slice(0, 3)).toEqual([49, 48, 47]);
    expect(results[50]).toMatchObject({ success: false, remaining: 0, reset: 11 * HOUR });
    expect(l.check("b", t).success).toBe(true);
  });

  it("weighs the previous window as it slides out", () => {
    const l = new MemorySlidingWindow(10, HOUR);
    for (let i = 0; i < 10; i++) expect(l.check("a", 5 * HOUR + 10).success).toBe(true);
    // Just after the window: the previous 10 still count fully.
    expect(l.check("a", 6 * HOUR + 1).success).toBe(false);
    // 30 % into the next window: ceil(10 * 0.7) = 7 used, 3 free.
    const t = 6 * HOUR + 0.3 * HOUR;
    expect([1, 2, 3, 4].map(() => l.check("a", t).success)).toEqual([true, true, true, false]);
  });

  it("forgets a full quota once a whole window has passed without requests", () => {
    const l = new MemorySlidingWindow(10, HOUR);
    for (let i = 0; i < 10; i++) l.check("a", 5 * HOUR + 10);
    // Two windows later the one in between was empty: nothing weighs on this one.
    expect(l.check("a", 7 * HOUR + 1)).toMatchObject({ success: true, remaining: 9 });
  });

  it("forgets the oldest user when full", () => {
    const l = new MemorySlidingWindow(1, HOUR, 2);
    l.check("a", 0);
    l.check("b", 0);
    l.check("c", 0);
    expect(l.check("a", 0).success).toBe(true); // "a" was forgotten
    expect(l.check("c", 0).success).toBe(false);
  });
});

describe("rate-limit headers", () => {
  it("formats the policy and the remaining quota as structured fields", () => {
    expect(policyHeader(50)).toBe('"hourly";q=50;w=3600');
    expect(rateLimitHeaders({ success: true, limit: 50, remaining: 7, reset: 10_000 }, 1_500)).toEqual({
      "RateLimit-Policy": '"hourly";q=50;w=3600',
      RateLimit: '"hourly";r=7;t=9',
    });
  });

  it("puts Retry-After one slot interval past the reset", () => {
    expect(retryAfterS({ success: false, limit: 50, remaining: 0, reset: 100_000 }, 40_000)).toBe(60 + 72);
    expect(retryAfterS({ success: false, limit: 1, remaining: 0, reset: 0 }, 10)).toBe(3600);
  });
});
