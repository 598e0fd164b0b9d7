/**
 * Two ids for every request. `requestId` is always this edge's own new UUID: the audit line's
 * `request_id` and the `x-request-id` the backend logs, so one id names one request and no caller
 * can reuse another's to confuse the logs. `clientRequestId` is the caller's `X-Request-Id` when it
 * is short and plain (word characters, '-', '='; hono's request-id rule), logged beside it as
 * `client_request_id`. The response's `X-Request-Id` echoes the caller's id when it sent one (the
 * caller traces by its own id), else carries ours, on every response, errors included.
 *
 * The header is set once the response exists: this app's handlers return finished Responses (the
 * stored result bytes, problem+json), and setting it on the response's own headers, not through
 * `c.header()` (which copies the whole Response each time once it is final), is part of what keeps
 * a cache hit cheap (docs/PERFORMANCE.md, seventh session).
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env.js";
import { editResponseHeaders } from "../response-headers.js";

export const REQUEST_ID_HEADER = "X-Request-Id";
/** Longest caller-chosen id that is kept. */
export const REQUEST_ID_MAX_LENGTH = 128;

/** The caller's id when it is short and plain, else undefined. */
export function plainClientRequestId(
  incoming: string | null | undefined,
  limitLength: number,
): string | undefined {
  return incoming && incoming.length <= limitLength && !/[^\w\-=]/.test(incoming) ? incoming : undefined;
}

/** The id a response carries: the caller's when short and plain, else the edge's own. */
export function responseRequestId(
  incoming: string | null | undefined,
  own: string,
  limitLength: number,
): string {
  return plainClientRequestId(incoming, limitLength) ?? own;
}

export function requestIds(limitLength: number): MiddlewareHandler<AppEnv> {
  return async function requestIds(c, next) {
    const own = crypto.randomUUID();
    const client = plainClientRequestId(c.req.header(REQUEST_ID_HEADER), limitLength);
    c.set("requestId", own);
    c.set("clientRequestId", client);
    await next();
    editResponseHeaders(c, (h) => h.set(REQUEST_ID_HEADER, client ?? own));
  };
}
