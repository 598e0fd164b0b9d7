/**
 * One log line per request to an internal route (`msg: "request"`): who asked (the edge's
 * `X-Request-Id`), what was answered and how long it took, and why, for an answer that refuses or
 * fails: the handlers and middleware that decide note their reason and details on the request
 * (`noteForLog`), so a 401 says whether the clock, the secret or the headers were wrong, and a
 * fallback says which provider failed and how. Health probes and metric scrapes are not logged
 * (they are counted in `requests_total`).
 *
 * Level: info for an answer and a caller's hang-up (499); warn for a refusal (4xx, and the 503s
 * of load shedding and draining) and for an answer that needed a provider fallback; error for a
 * failure (other 5xx) and for work cut off at the end of the shutdown grace period.
 */
import type { Context, MiddlewareHandler } from "hono";
import type { Logger } from "./logger.js";

declare module "hono" {
  interface ContextVariableMap {
    /** What the request's log line carries beyond the basics (see noteForLog); set by requestLog. */
    logFields: Record<string, unknown> | undefined;
  }
}

/**
 * 5xx answers that are the service working as designed (load shedding, a rolling deploy, a burst
 * over the replay window): warnings, so alerts on error lines do not fire on every deploy.
 */
const SHEDDING = new Set(["overloaded", "draining", "replay_window_full"]);

/** Add fields to the request's log line (a no-op outside requestLog). */
export function noteForLog(c: Context, fields: Record<string, unknown>): void {
  const current = c.get("logFields");
  if (current) Object.assign(current, fields);
}

/** A request id as the edge sends it, bounded: it is the caller's text. */
function requestIdOf(c: Context): string | undefined {
  const id = c.req.header("x-request-id");
  return id === undefined ? undefined : id.slice(0, 128);
}

export function requestLog(logger: Logger, logged: (path: string) => boolean): MiddlewareHandler {
  return async function requestLog(c, next) {
    if (!logged(c.req.path)) return next();
    const started = performance.now();
    const fields: Record<string, unknown> = {};
    c.set("logFields", fields);
    await next();
    const status = c.res.status;
    const line = {
      request_id: requestIdOf(c),
      method: c.req.method,
      // The caller's text: bounded, as an unsigned request can send anything.
      route: c.req.path.slice(0, 256),
      status,
      latency_ms: Math.round(performance.now() - started),
      ...fields,
    };
    const reason = typeof fields.reason === "string" ? fields.reason : "";
    if (reason === "cut_off_at_shutdown" || (status >= 500 && !SHEDDING.has(reason)))
      logger.error(line, "request");
    else if (status >= 400 && status !== 499) logger.warn(line, "request");
    else if (fields.fallback === true) logger.warn(line, "request");
    else logger.info(line, "request");
  };
}
