import type { Context } from "hono";

/**
 * `ctx.waitUntil` of the Worker, so work after the response (rate-limit bookkeeping, provider
 * health) is not cancelled; outside a Worker (app.request in tests) the promise just runs on.
 */
export function waitUntilOf(c: Context): (p: Promise<unknown>) => void {
  let ctx: { waitUntil(p: Promise<unknown>): void } | undefined;
  try {
    ctx = c.executionCtx;
  } catch {
    ctx = undefined;
  }
  return (p) => {
    const quiet = p.catch(() => {});
    ctx?.waitUntil(quiet);
  };
}
