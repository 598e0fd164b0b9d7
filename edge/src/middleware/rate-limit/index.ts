/**
 * The hourly analysis quota of the authenticated user. Adds RateLimit-Policy and RateLimit to the
 * response (whatever its status), and answers 429 problem+json with Retry-After when the quota is
 * spent. When Redis cannot count: fail-closed answers 503; fail-open counts in this isolate.
 *
 * One Redis round trip (redis/batch.ts) carries, with the rate limiter's script:
 * - the record of an API key whose check the auth middleware deferred (auth/key-cache.ts): it is
 *   applied before anything else. A key found revoked gets the same 401 as up front, its count is
 *   given back (the library's own refund, rate -1), and the isolate forgets it;
 * - the stored result's read when the analysis is already known (analyses/target.ts): its GET, or
 *   only its header line when the isolate holds the result (cache/hot-results.ts); the rate-limit
 *   decision is still applied first, and only the handler of a request that passed reads it. Not
 *   for a user this isolate has refused and who has no slot yet (ratelimit/refused-users.ts).
 *
 * A refusal costs one more round trip: the two window counts it was decided on, from which
 * ratelimit/headers.ts finds when a slot frees (Retry-After, and `t` of RateLimit).
 */
import type { MiddlewareHandler } from "hono";
import { endTime, startTime } from "hono/timing";
import { ApiKeyStore } from "../../auth/api-keys.js";
import type { RedisDownPolicy } from "../../config.js";
import type { AppEnv } from "../../env.js";
import { EDGE_PROBLEM_TYPES, instanceOf, problemJson, storageUnavailable } from "../../problems.js";
import { policyHeader, rateLimitHeaders, retryAfterS } from "../../ratelimit/headers.js";
import type { AnalysisRateLimiter } from "../../ratelimit/limiter.js";
import { RefusedUsers } from "../../ratelimit/refused-users.js";
import { waitUntilOf } from "../../wait-until.js";
import { INVALID_API_KEY_DETAIL, unauthorized } from "../auth/index.js";

export function rateLimit(deps: {
  readonly limiter: AnalysisRateLimiter;
  readonly policy: RedisDownPolicy;
  readonly now?: () => number;
}): MiddlewareHandler<AppEnv> {
  const now = deps.now ?? Date.now;
  const refused = new RefusedUsers();
  return async (c, next) => {
    const user = c.get("principal").userId;
    startTime(c, "ratelimit");
    const input = c.get("analysisInput");
    const target = input?.kind === "valid" && !refused.isRefused(user, now()) ? input.target : undefined;
    const keyCheck = c.get("keyCheck");
    const waitUntil = waitUntilOf(c);
    let checking: ReturnType<AnalysisRateLimiter["check"]>;
    let keyRecord: Promise<string | null> | undefined;
    if (target || keyCheck) {
      const batch = deps.limiter.batch();
      checking = deps.limiter.check(user, waitUntil, batch);
      if (keyCheck) keyRecord = batch.get(keyCheck.recordKey);
      if (target) target.stored = target.prefetch(batch);
      // Left unread when the request is refused: that must not be an unhandled rejection.
      keyRecord?.catch(() => {});
      target?.stored?.catch(() => {});
    } else {
      checking = deps.limiter.check(user, waitUntil);
    }
    let decision = await checking;
    endTime(c, "ratelimit");
    if (keyCheck && keyRecord) {
      let raw: string | null;
      try {
        raw = await keyRecord;
      } catch {
        // As up front: an API key cannot be checked without Redis, under either policy.
        c.get("audit").cause = "storage";
        return storageUnavailable(instanceOf(c));
      }
      if (!ApiKeyStore.grants(raw, keyCheck.user)) {
        keyCheck.forget();
        if (decision.source === "redis" && decision.success) waitUntil(deps.limiter.refund(user));
        const audit = c.get("audit") as Record<string, unknown>;
        delete audit.user;
        delete audit.auth;
        delete audit.key_id;
        return unauthorized(INVALID_API_KEY_DETAIL, true, instanceOf(c));
      }
    }
    if (decision.source === "unavailable") {
      c.get("audit").ratelimit_source = "unavailable";
      if (deps.policy === "fail-closed") {
        c.get("audit").cause = "storage";
        const res = storageUnavailable(instanceOf(c));
        res.headers.set("RateLimit-Policy", policyHeader(deps.limiter.limit));
        return res;
      }
      decision = deps.limiter.checkInMemory(user);
    }
    if (decision.source === "unavailable")
      throw new Error("unreachable: the in-memory limiter always decides");
    c.get("audit").ratelimit_remaining = decision.remaining;
    c.get("audit").ratelimit_source = decision.source;
    if (!decision.success) {
      // The in-memory fallback does not expose its counts: retryAfterS's bound for unknown counts.
      const counts =
        decision.source === "redis" ? await deps.limiter.windowCounts(user, decision.reset) : undefined;
      const t = now();
      const retryAfter = retryAfterS(decision, t, counts);
      refused.refuse(user, t + retryAfter * 1000);
      return problemJson(
        429,
        {
          type: EDGE_PROBLEM_TYPES.rateLimited,
          title: "Too many analyses",
          detail: `This account may request ${decision.limit} analyses per hour; see RateLimit and Retry-After.`,
          instance: instanceOf(c),
        },
        { ...rateLimitHeaders(decision, t, retryAfter), "Retry-After": String(retryAfter) },
      );
    }
    // The last slot: the next request in the window will most likely be refused, so it reads no
    // stored result either, not even the first refusal. If the sliding window frees a slot sooner,
    // that admitted request reads its result after the decision (one round trip more).
    if (decision.remaining <= 0) refused.refuse(user, decision.reset);
    else refused.admit(user);
    const headers = rateLimitHeaders(decision, now());
    await next();
    for (const [k, v] of Object.entries(headers)) c.res.headers.set(k, v);
  };
}
