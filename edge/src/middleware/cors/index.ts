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

/**
 * `methodsAt`, when given, is what a path serves (OPTIONS included; empty where no route is): an
 * OPTIONS request there is answered by hono's cors with `Allow` added (RFC 9110 §9.3.7), and one
 * for a path nothing serves gets the app's 404 at once instead of a 204 promising nothing.
 */
export function corsForBrowsers(
  options: CorsOptions,
  methodsAt?: (path: string) => readonly string[],
): MiddlewareHandler {
  const browser = cors(options);
  return async function corsForBrowsers(c, next) {
    if (c.req.method === "OPTIONS" && methodsAt) {
      const methods = methodsAt(c.req.path);
      // The app's own 404, before any later middleware (under /v1 auth would answer 401 first).
      if (methods.length === 0) return c.notFound();
      const res = await browser(c, next);
      res?.headers.set("Allow", methods.join(", "));
      return res;
    }
    // OPTIONS too: hono's cors answers it (204, the allowed methods) with or without an Origin.
    if (c.req.method === "OPTIONS" || c.req.header("origin") !== undefined) return browser(c, next);
    await next();
    // On the response's own headers: c.header() would copy the finished Response.
    editResponseHeaders(c, (h) => h.append("Vary", "Origin"));
  };
}
