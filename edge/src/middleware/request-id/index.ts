/**
 * A request id for every request (the caller's `X-Request-Id` when it is short and plain, else a
 * new UUID), kept in the `requestId` variable and sent back as `X-Request-Id` on every response,
 * errors included.
 *
 * hono's `requestId` chooses the id; its own header is off. It would set the header before the
 * handler runs (as a prepared header), which reaches a response only when the handler builds it
 * through the context; this app's handlers return finished Responses (the stored result bytes,
 * problem+json), so the header is set once the response exists. Setting it on the response's own
 * headers, not through `c.header()` (which copies the whole Response each time once it is
 * final), is part of what keeps a cache hit cheap (docs/PERFORMANCE.md, seventh session).
 */
import type { Context, MiddlewareHandler } from "hono";
import { requestId } from "hono/request-id";
import { editResponseHeaders } from "../response-headers.js";

export const REQUEST_ID_HEADER = "X-Request-Id";
/** Longest caller-chosen id that is kept. */
export const REQUEST_ID_MAX_LENGTH = 128;

/** The caller's id when it is short and plain (hono's own rule: word characters, '-', '='), else a new UUID. */
export function incomingOrNewRequestId(incoming: string | undefined, limitLength: number): string {
  return incoming && incoming.length <= limitLength && !/[^\w\-=]/.test(incoming)
    ? incoming
    : crypto.randomUUID();
}

export function requestIds(limitLength: number): MiddlewareHandler {
  const incomingOrNew = (c: Context): string =>
    incomingOrNewRequestId(c.req.header(REQUEST_ID_HEADER), limitLength);
  const choose = requestId({ headerName: "", generator: incomingOrNew });
  return async function requestIds(c, next) {
    await choose(c, next);
    const id: string = c.get("requestId");
    editResponseHeaders(c, (h) => h.set(REQUEST_ID_HEADER, id));
  };
}
