/**
 * Emits the audit line of every request after the response is ready (errors included: Hono has
 * turned them into responses by then). Handlers add fields to the `audit` variable.
 */
import type { MiddlewareHandler } from "hono";
import { routePath } from "hono/route";
import type { AuditSink } from "../../audit/log.js";
import type { AppEnv } from "../../env.js";

export function audit(sink: AuditSink): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    c.set("startedAt", started);
    c.set("audit", {});
    try {
      await next();
    } finally {
      const status = c.res.status;
      const route = routePath(c, -1);
      try {
        sink({
          ts: new Date().toISOString(),
          level: status >= 500 ? "error" : "info",
          msg: "request",
          request_id: c.get("requestId"),
          ...clientId(c.get("clientRequestId")),
          method: c.req.method,
          route: route === "*" || route === "/*" ? "(unmatched)" : route,
          status,
          latency_ms: Math.round((performance.now() - started) * 10) / 10,
          ...c.get("audit"),
        });
      } catch {
        // Logging must never break a response.
      }
    }
  };
}

/** The caller's own id, only when it sent one (an absent field, not null, in the log line). */
function clientId(id: string | undefined): { client_request_id?: string } {
  return id === undefined ? {} : { client_request_id: id };
}
