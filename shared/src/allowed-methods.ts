/**
 * Which methods a Hono app serves at a path, for a 405 with Allow (RFC 9110 §15.5.6) instead of a
 * 404 when a client uses the wrong method on a route that exists (the edge's GET /v1/analyses, the
 * backend's GET /internal/v1/analyze). Read from the app's own route table, so it cannot drift from
 * the routes.
 */
interface RouteEntry {
  readonly method: string;
  readonly path: string;
}

/** A Hono route path ("/v1/analyses/:id", "/v1/analyses/:id{[0-9a-f]+}") as a whole-path RegExp. */
export function routePattern(path: string): RegExp {
  let out = "";
  for (const part of path.split(/(:[A-Za-z_]\w*(?:\{[^}]*\})?)/)) {
    if (part.startsWith(":")) {
      const custom = /\{([^}]*)\}$/.exec(part)?.[1];
      out += custom !== undefined ? `(?:${custom})` : "[^/]+";
    } else {
      out += part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${out}$`);
}

/**
 * The methods routes (not middleware, which Hono lists as ALL) answer at `path`, with HEAD
 * wherever GET is (Hono answers HEAD from the GET handler). Empty when no route has the path.
 */
export function allowedMethods(routes: readonly RouteEntry[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    if (r.method === "ALL" || r.path.includes("*")) continue;
    if (routePattern(r.path).test(path)) methods.add(r.method.toUpperCase());
  }
  if (methods.has("GET")) methods.add("HEAD");
  const order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
  return [...methods].sort((a, b) => order.indexOf(a) - order.indexOf(b));
}
