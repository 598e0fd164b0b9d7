/**
 * @upstash/ratelimit 2.2 through the bridge on plain Redis 7: exact counts under concurrency, and
 * no NOSCRIPT round trips for the library's hard-coded EVALSHA hashes.
 */
import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis";
import { describe, expect, it } from "vitest";
import { startBridge } from "../../scripts/upstash-bridge/server.js";
import { useStack } from "../harness/vitest-stack.js";

const ctx = useStack("ratelimit");

type Limiter = ReturnType<typeof Ratelimit.slidingWindow>;
const LIMIT = 50;
const limiters: Record<string, () => Limiter> = {
  slidingWindow: () => Ratelimit.slidingWindow(LIMIT, "1 h"),
  fixedWindow: () => Ratelimit.fixedWindow(LIMIT, "1 h"),
  tokenBucket: () => Ratelimit.tokenBucket(LIMIT, "1 h", LIMIT),
};

const clientConfigs = {
  "client defaults": {},
  "enableAutoPipelining: false": { enableAutoPipelining: false },
} as const;

describe.each(Object.keys(limiters))("%s, 50 per hour", (algorithm) => {
  it.each(Object.keys(clientConfigs) as (keyof typeof clientConfigs)[])(
    "allows exactly 50 of 100 concurrent calls for one user, refuses the 51st, leaves a second user alone (%s)",
    async (clientConfig) => {
      const redis = new Redis({ url: ctx.stack.url, token: ctx.stack.token, ...clientConfigs[clientConfig] });
      const ratelimit = new Ratelimit({
        redis,
        limiter: (limiters[algorithm] as () => Limiter)(),
        prefix: `${ctx.prefix}${algorithm}:${clientConfig.replace(/\W+/g, "_")}`,
        // The in-memory cache would answer some calls without Redis; we want Redis's own count.
        ephemeralCache: false,
        analytics: false,
      });
      const stats = ctx.stack.bridge.stats;
      const evalBefore = stats.byCommand.get("EVAL") ?? 0;
      const evalshaBefore = stats.byCommand.get("EVALSHA") ?? 0;
      const noscriptBefore = stats.noscriptReplies;
      const fallbacksBefore = stats.evalFallbacks;

      const results = await Promise.all(Array.from({ length: 100 }, () => ratelimit.limit("user-a")));
      // Fail-open on timeout would report success with reason "timeout"; none may do so.
      expect(results.filter((r) => r.reason !== undefined)).toEqual([]);
      expect(results.filter((r) => r.success)).toHaveLength(LIMIT);
      expect(results.filter((r) => !r.success)).toHaveLength(100 - LIMIT);
      expect(results.every((r) => r.limit === LIMIT)).toBe(true);
      // Every allowed call saw a distinct remaining count 49..0.
      const remaining = results.filter((r) => r.success).map((r) => r.remaining);
      expect(new Set(remaining).size).toBe(LIMIT);
      expect(Math.min(...remaining)).toBe(0);
      expect(Math.max(...remaining)).toBe(LIMIT - 1);

      const next = await ratelimit.limit("user-a");
      expect(next.success).toBe(false);
      expect(next.remaining).toBe(0);

      const other = await ratelimit.limit("user-b");
      expect(other.success).toBe(true);
      expect(other.remaining).toBe(LIMIT - 1);

      // Each limit() is one EVALSHA of the library's hard-coded hash, answered directly.
      expect((stats.byCommand.get("EVALSHA") ?? 0) - evalshaBefore).toBe(102);
      expect((stats.byCommand.get("EVAL") ?? 0) - evalBefore).toBe(0);
      expect(stats.noscriptReplies - noscriptBefore).toBe(0);
      expect(stats.evalFallbacks - fallbacksBefore).toBe(0);
    },
  );
});

describe("getRemaining", () => {
  it("reports what limit() used, through the getRemaining scripts", async () => {
    const redis = new Redis({ url: ctx.stack.url, token: ctx.stack.token });
    for (const algorithm of Object.keys(limiters)) {
      const ratelimit = new Ratelimit({
        redis,
        limiter: (limiters[algorithm] as () => Limiter)(),
        prefix: `${ctx.prefix}remaining:${algorithm}`,
        ephemeralCache: false,
      });
      await Promise.all(Array.from({ length: 7 }, () => ratelimit.limit("user-c")));
      const { remaining } = await ratelimit.getRemaining("user-c");
      expect({ algorithm, remaining }).toEqual({ algorithm, remaining: LIMIT - 7 });
    }
    expect(ctx.stack.bridge.stats.noscriptReplies).toBe(0);
  });
});

describe("without preloaded scripts", () => {
  it("learns a shebang script from the client's first EVAL, then serves its EVALSHA directly", async () => {
    const bridge = await startBridge({
      token: "learn",
      redisUrl: ctx.stack.redisUrl,
      preloadRatelimitScripts: false,
    });
    try {
      const redis = new Redis({ url: bridge.url, token: "learn", enableAutoPipelining: false });
      const ratelimit = new Ratelimit({
        redis,
        limiter: Ratelimit.fixedWindow(3, "1 h"),
        prefix: `${ctx.prefix}learn`,
        ephemeralCache: false,
      });
      const first = await ratelimit.limit("user-d");
      expect(first.success).toBe(true);
      // Redis never holds the original hash (it rejects the shebang), so the first EVALSHA gets
      // NOSCRIPT and the library falls back to EVAL, which works because the bridge strips it.
      expect(bridge.stats.noscriptReplies).toBe(1);
      expect(bridge.stats.byCommand.get("EVAL")).toBe(1);

      const rest = await Promise.all(Array.from({ length: 5 }, () => ratelimit.limit("user-d")));
      expect(rest.filter((r) => r.success)).toHaveLength(2);
      expect(bridge.stats.byCommand.get("EVALSHA")).toBe(6);
      expect(bridge.stats.byCommand.get("EVAL")).toBe(1);
      expect(bridge.stats.noscriptReplies).toBe(1);
    } finally {
      await bridge.close();
    }
  });
});
