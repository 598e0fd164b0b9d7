/**
 * Rate-limit headers of draft-ietf-httpapi-ratelimit-headers (structured fields):
 *   RateLimit-Policy: "hourly";q=50;w=3600
 *   RateLimit: "hourly";r=49;t=1800
 * and Retry-After on refusal.
 */
import type { LimitDecision } from "./memory.js";

export const POLICY_NAME = "hourly";
export const WINDOW_S = 3600;

export function policyHeader(limit: number): string {
  return `"${POLICY_NAME}";q=${limit};w=${WINDOW_S}`;
}

export function rateLimitHeaders(d: LimitDecision, nowMs: number): Record<string, string> {
  return {
    "RateLimit-Policy": policyHeader(d.limit),
    RateLimit: `"${POLICY_NAME}";r=${Math.max(0, d.remaining)};t=${Math.max(0, Math.ceil((d.reset - nowMs) / 1000))}`,
  };
}

/**
 * Seconds until a refused user may expect a free slot. The sliding window still weighs the full
 * previous window at the reset, so one slot frees about window/limit after it: a user who spent
 * the whole quota in one burst can retry at about this time.
 */
export function retryAfterS(d: LimitDecision, nowMs: number): number {
  const untilReset = Math.max(0, (d.reset - nowMs) / 1000);
  return Math.max(1, Math.ceil(untilReset + WINDOW_S / Math.max(1, d.limit)));
}
