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

export function requestIds(limitLength: number): MiddlewareHandler {
  const incomingOrNew = (c: Context): string => {
    const id = c.req.header(REQUEST_ID_HEADER);
    // hono's own rule for an incoming id: not too long, only word characters, '-' and '='.
    return id && id.length <= limitLength && !/[^\w\-=]/.test(id) ? id : crypto.randomUUID();
  };
  const choose = requestId({ headerName: "", generator: incomingOrNew });
  return async function requestIds(c, next) {
    await choose(c, next);
    const id: string = c.get("requestId");
    editResponseHeaders(c, (h) => h.set(REQUEST_ID_HEADER, id));
  };
}
