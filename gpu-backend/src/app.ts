/** The backend's HTTP app, assembled from its parts (so tests can build one with their own). */
import { problem, problemResponse } from "@lanesegnet/shared";
import { Hono } from "hono";
import type { Logger } from "./observability/logger.js";
import type { Metrics } from "./observability/metrics.js";
import { noteForLog, requestLog } from "./observability/request-log.js";
import { type AnalyzeRouteDeps, analyzeRoute } from "./routes/analyze.js";
import { type HealthState, healthRoutes } from "./routes/health.js";
import { renderRoute } from "./routes/render.js";

export interface AppDeps extends AnalyzeRouteDeps {
  readonly health: HealthState;
  readonly metrics: Metrics;
  readonly logger: Logger;
}

export function createApp(deps: AppDeps) {
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    deps.metrics.requests.inc({ route: c.req.routePath, status: String(c.res.status) });
    // Draining: every answer closes its connection, so none waits out the keep-alive timeout
    // before the process may exit.
    if (deps.health.draining) c.res.headers.set("Connection", "close");
  });
  app.use(requestLog(deps.logger, (path) => path.startsWith("/internal/")));
  app.route("/", healthRoutes(deps.health, deps.metrics));
  // Draining (SIGTERM): server.close() stops new connections, but Node still serves new requests
  // on open keep-alive ones. Turn new work away there, so the grace period is spent finishing what
  // runs, and tell the client to reconnect (to another instance behind the load balancer).
  app.use("/internal/*", async (c, next) => {
    if (!deps.health.draining) return next();
    deps.metrics.errors.inc({ kind: "draining" });
    noteForLog(c, { reason: "draining" });
    return problemResponse(problem(503, { detail: "this backend instance is shutting down; retry" }), {
      "Retry-After": "1",
      Connection: "close",
    });
  });
  app.route("/", analyzeRoute(deps));
  app.route(
    "/",
    renderRoute({
      providers: deps.analysis.providers,
      signingSecret: deps.signingSecret,
      ...(deps.nonces ? { nonces: deps.nonces } : {}),
    }),
  );
  app.notFound(() => problemResponse(problem(404, { detail: "no such route" })));
  app.onError((err, c) => {
    noteForLog(c, { reason: "unhandled", err });
    if (!c.req.path.startsWith("/internal/")) deps.logger.error({ err }, "unhandled error");
    return problemResponse(problem(500, { detail: "internal error; it was logged" }));
  });
  return app;
}
