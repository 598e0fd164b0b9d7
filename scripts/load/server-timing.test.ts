import { describe, expect, it } from "vitest";
import { parseServerTiming, ServerTimingCollector } from "./server-timing.js";
import { append, percentiles, quantile } from "./stats.js";

describe("parseServerTiming", () => {
  it("reads hono/timing's header, descriptions with commas included", () => {
    const parsed = parseServerTiming(
      'auth;dur=2.0,ratelimit;dur=3.5,key;dur=0.0,total;dur=16.0;desc="Total, Response Time"',
    );
    expect([...parsed]).toEqual([
      ["auth", 2],
      ["ratelimit", 3.5],
      ["key", 0],
      ["total", 16],
    ]);
  });

  it("skips entries without a usable dur, keeps the first of a repeated name", () => {
    const parsed = parseServerTiming('cache;desc="hit", db;dur=abc, app;dur=-1, x;DUR="4", x;dur=9');
    expect([...parsed]).toEqual([["x", 4]]);
    expect(parseServerTiming(undefined).size).toBe(0);
    expect(parseServerTiming("").size).toBe(0);
  });

  it("does not end a quoted description at an escaped quote", () => {
    const parsed = parseServerTiming('app;desc="say \\"hi, there\\"";dur=5,total;dur=6');
    expect([...parsed]).toEqual([
      ["app", 5],
      ["total", 6],
    ]);
  });
});

describe("ServerTimingCollector", () => {
  it("summarises each metric over the responses that carried it", () => {
    const c = new ServerTimingCollector();
    for (let i = 1; i <= 100; i++) c.add(`total;dur=${i}`);
    c.add(null);
    c.add("auth;dur=7");
    const s = c.summary();
    expect(s.responses).toBe(102);
    expect(s.withHeader).toBe(101);
    expect(s.metrics.total).toMatchObject({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
    expect(s.metrics.auth).toMatchObject({ count: 1, p50: 7, max: 7 });
  });
});

describe("stats", () => {
  it("uses nearest-rank percentiles", () => {
    const sorted = [10, 20, 30, 40];
    expect(quantile(sorted, 0.5)).toBe(20);
    expect(quantile(sorted, 0.51)).toBe(30);
    expect(quantile(sorted, 1)).toBe(40);
    expect(quantile([], 0.5)).toBeNaN();
    expect(percentiles([3, 1, 2])).toMatchObject({ count: 3, mean: 2, p50: 2, max: 3 });
  });

  it("appends to lists by key", () => {
    const lists: Record<string, number[]> = {};
    append(lists, "a", 1);
    append(lists, "a", 2);
    expect(lists).toEqual({ a: [1, 2] });
  });
});
