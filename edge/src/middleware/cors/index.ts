/**
 * CORS for browser requests only: hono's `cors` for a request that carries an `Origin` header, and
 * for any other request (servers, scripts, same-origin GETs) only `Vary: Origin`, which shared
 * caches need because answers to browsers differ by origin.
 *
 * Why not hono's `cors` on every request: it sets `Access-Control-Expose-Headers` before the
 * handler runs, on every request. That creates a placeholder response, and hono then copies the
 * handler's response and merges the headers into the copy. A response without an `Origin`
 * request header is never read under CORS rules, so that work bought nothing. On a cache hit it
 * was one of the Response objects built per request (docs/PERFORMANCE.md, seventh session).
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { editResponseHeaders } from "../response-headers.js";

type CorsOptions = Parameters<typeof cors>[0];

export function corsForBrowsers(options: CorsOptions): MiddlewareHandler {
  const browser = cors(options);
  return async function corsForBrowsers(c, next) {
    // OPTIONS too: hono's cors answers it (204, the allowed methods) with or without an Origin.
    if (c.req.method === "OPTIONS" || c.req.header("origin") !== undefined) return browser(c, next);
    await next();
    // On the response's own headers: c.header() would copy the finished Response.
    editResponseHeaders(c, (h) => h.append("Vary", "Origin"));
  };
}
