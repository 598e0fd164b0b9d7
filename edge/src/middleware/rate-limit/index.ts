/**
 * The hourly analysis quota of the authenticated user. Adds RateLimit-Policy and RateLimit to the
 * response (whatever its status), and answers 429 problem+json with Retry-After when the quota is
 * spent. When Redis cannot count: fail-closed answers 503; fail-open counts in this isolate.
 */
import type { MiddlewareHandler } from "hono";
import { endTime, startTime } from "hono/timing";
import type { RedisDownPolicy } from "../../config.js";
import type { AppEnv } from "../../env.js";
import { EDGE_PROBLEM_TYPES, problemJson, storageUnavailable } from "../../problems.js";
import { policyHeader, rateLimitHeaders, retryAfterS } from "../../ratelimit/headers.js";
import type { AnalysisRateLimiter } from "../../ratelimit/limiter.js";
import { waitUntilOf } from "../../wait-until.js";

export function rateLimit(deps: {
  readonly limiter: AnalysisRateLimiter;
  readonly policy: RedisDownPolicy;
  readonly now?: () => number;
}): MiddlewareHandler<AppEnv> {
  const now = deps.now ?? Date.now;
  return async (c, next) => {
    const user = c.var.principal.userId;
    startTime(c, "ratelimit");
    let decision = await deps.limiter.check(user, waitUntilOf(c));
    endTime(c, "ratelimit");
    if (decision.source === "unavailable") {
      c.var.audit.ratelimit_source = "unavailable";
      if (deps.policy === "fail-closed") {
        c.var.audit.cause = "storage";
        const res = storageUnavailable();
        res.headers.set("RateLimit-Policy", policyHeader(deps.limiter.limit));
        return res;
      }
      decision = deps.limiter.checkInMemory(user);
    }
    if (decision.source === "unavailable")
      throw new Error("unreachable: the in-memory limiter always decides");
    const t = now();
    const headers = rateLimitHeaders(decision, t);
    c.var.audit.ratelimit_remaining = decision.remaining;
    c.var.audit.ratelimit_source = decision.source;
    if (!decision.success) {
      return problemJson(
        429,
        {
          type: EDGE_PROBLEM_TYPES.rateLimited,
          title: "Too many analyses",
          detail: `This account may request ${decision.limit} analyses per hour; see RateLimit and Retry-After.`,
        },
        { ...headers, "Retry-After": String(retryAfterS(decision, t)) },
      );
    }
    await next();
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  };
}
