/**
 * Rate-limit headers of draft-ietf-httpapi-ratelimit-headers (structured fields):
 *   RateLimit-Policy: "hourly";q=50;w=3600
 *   RateLimit: "hourly";r=49;t=1800
 * and Retry-After on refusal.
 *
 * The quota is a sliding window (@upstash/ratelimit's slidingWindow; memory.ts while Redis is down
 * under fail-open). With `previous` and `current` the counts of the previous and the current fixed
 * window and `ahead` the share of the current window still to run, a request is admitted while
 *   weight + current < limit,  weight = previous × ahead
 * where the library's Lua script floors the weight and the in-memory fallback rounds it up. When a
 * refused user becomes admitted again therefore depends on both counts, not only on the end of the
 * current window: 50 in the previous window and 35 in this one admit again once 50 × ahead < 15,
 * i.e. 70 % into the window, which may be seconds away.
 *
 * `t` of RateLimit: on a refusal, the seconds until a request is admitted again (the same figure as
 * Retry-After); otherwise the seconds until the current window ends, when its count starts sliding
 * out (without the two counts, which the hit path does not read, nothing more precise is known).
 */
import type { LimitDecision } from "./memory.js";

export const POLICY_NAME = "hourly";
export const WINDOW_S = 3600;
export const WINDOW_MS = WINDOW_S * 1000;

/**
 * Added to the computed wait: the instant is exact for the counts read, in whole milliseconds of
 * the clock of the isolate that answers the 429, but the retry is judged by the `Date.now()` of
 * whichever isolate receives it (another machine, clocks a few ms apart; Workers' clock is coarse
 * and only advances on I/O), and Retry-After only has whole seconds. Rounding up and one more
 * second let a client that honours Retry-After in. A second is ~0.03 % of the window.
 */
export const RETRY_MARGIN_S = 1;

/** The counts of the sliding window's two fixed windows at a refusal. */
export interface WindowCounts {
  /** Counted in the window before the decision's (the one that ended at `reset` − window). */
  readonly previous: number;
  /** Counted in the decision's window (the one that ends at `reset`). */
  readonly current: number;
}

/** How the previous window's weight is rounded: the library's script floors it, memory.ts rounds up. */
export type WeightRounding = "floor" | "ceil";

export function policyHeader(limit: number): string {
  return `"${POLICY_NAME}";q=${limit};w=${WINDOW_S}`;
}

/**
 * RateLimit-Policy and RateLimit. `retryAfter` is the refusal's Retry-After (retryAfterS), which
 * `t` repeats; without it a refusal gets retryAfterS's figure for unknown counts.
 */
export function rateLimitHeaders(
  d: LimitDecision,
  nowMs: number,
  retryAfter?: number,
): Record<string, string> {
  const t = d.success
    ? Math.max(0, Math.ceil((d.reset - nowMs) / 1000))
    : (retryAfter ?? retryAfterS(d, nowMs));
  return {
    "RateLimit-Policy": policyHeader(d.limit),
    RateLimit: `"${POLICY_NAME}";r=${Math.max(0, d.remaining)};t=${t}`,
  };
}

/**
 * Seconds until a refused user is admitted again, from `nowMs` (taken when the response is made).
 *
 * With the two window counts the limiter decided on (`counts`, @upstash/ratelimit's rounding): the
 * first instant slotFreesAtMs finds, rounded up to whole seconds, plus RETRY_MARGIN_S.
 *
 * Without them (the in-memory fallback, whose counts are not exposed, or a failed read): the latest
 * instant any refused state can need. The current window holds at most `limit`, so a slot is free
 * once that full window, now the previous one, weighs less than `limit`: window/limit after the
 * reset with the fallback's rounding up (1 ms after it with the library's flooring). That is where
 * a user who spent the whole quota in the current window stands; a user whose quota straddles the
 * reset is admitted earlier than this says.
 */
export function retryAfterS(d: LimitDecision, nowMs: number, counts?: WindowCounts): number {
  if (!counts) {
    const worst = slotFreesAtMs(d.limit, d.reset, { previous: d.limit, current: d.limit }, "ceil");
    return Math.max(1, Math.ceil((worst - nowMs) / 1000));
  }
  const at = slotFreesAtMs(d.limit, d.reset, counts, "floor");
  return Math.max(1, Math.ceil((at - nowMs) / 1000) + RETRY_MARGIN_S);
}

/**
 * The first whole millisecond, epoch ms, at which the sliding window admits one more request, for
 * the window ending at `reset` holding `counts`, if nothing else is counted meanwhile (refused
 * requests are not counted). It may lie before now (counts that changed since the refusal).
 *
 * In the current window while `current` < limit, as the previous window's weight shrinks; otherwise
 * in the next one, where the current count becomes the previous window's and its weight shrinks
 * from all of it (part of the next window when `current` is over what the rounding lets through at
 * its start); at the latest the window after, which starts empty.
 */
export function slotFreesAtMs(
  limit: number,
  reset: number,
  counts: WindowCounts,
  rounding: WeightRounding,
  windowMs: number = WINDOW_MS,
): number {
  return (
    firstAdmitted(limit, counts.previous, counts.current, reset - windowMs, rounding, windowMs) ??
    firstAdmitted(limit, counts.current, 0, reset, rounding, windowMs) ??
    reset + windowMs
  );
}

/**
 * The first whole ms of the window starting at `start` at which previous × (windowMs − e) / windowMs
 * rounded, plus `current`, is under `limit` (e: ms into the window); undefined if none is.
 *
 * With room = limit − current and w(e) = previous × (windowMs − e) / windowMs:
 *   floor: floor(w) < room  ⇔  w < room      ⇔  e > (previous − room) × windowMs / previous
 *   ceil:  ceil(w) < room   ⇔  w ≤ room − 1  ⇔  e ≥ (previous − room + 1) × windowMs / previous
 * Integer products (exact in doubles), so only the final division rounds. The script computes w
 * in floating point: at the instant found, w is at least previous/windowMs inside the bound, far
 * beyond that error, so the script admits there too; where w lands exactly on the bound the ms
 * before (e.g. 5 × 0.2, computed as 0.99999…), it may admit 1 ms earlier. Never later.
 */
function firstAdmitted(
  limit: number,
  previous: number,
  current: number,
  start: number,
  rounding: WeightRounding,
  windowMs: number,
): number | undefined {
  const room = limit - current;
  if (room <= 0) return undefined;
  // The weight that must be shed: w must fall below `room` (floor) or to `room − 1` (ceil).
  const excess = rounding === "floor" ? previous - room : previous - room + 1;
  let e: number;
  if (rounding === "floor") e = excess < 0 ? 0 : Math.floor((excess * windowMs) / previous) + 1;
  else e = excess <= 0 ? 0 : Math.ceil((excess * windowMs) / previous);
  return e < windowMs ? start + e : undefined;
}
