/** The backend's HTTP app, assembled from its parts (so tests can build one with their own). */
import { allowedMethods, problem, problemResponse } from "@lanesegnet/shared";
import { Hono } from "hono";
import type { Logger } from "./observability/logger.js";
import type { Metrics } from "./observability/metrics.js";
import { noteForLog, requestLog } from "./observability/request-log.js";
import { type AnalyzeRouteDeps, analyzeRoute } from "./routes/analyze.js";
import { drainingResponse } from "./routes/draining.js";
import { type HealthState, healthRoutes } from "./routes/health.js";
import { renderRoute } from "./routes/render.js";
import type { Admission } from "./runtime/admission.js";

export interface AppDeps extends AnalyzeRouteDeps {
  readonly health: HealthState;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** The renders' admission (default: the render route's own), which the server drains at shutdown. */
  readonly renderAdmission?: Admission;
}

/** The routes the edge calls (signed), as opposed to probes and scrapes. */
const isInternal = (path: string) => path.startsWith("/internal/");

export function createApp(deps: AppDeps) {
  const app = new Hono();
  app.use(async (c, next) => {
    await next();
    deps.metrics.requests.inc({ route: c.req.routePath, status: String(c.res.status) });
    // Draining: every answer closes its connection, so none waits out the keep-alive timeout
    // before the process may exit.
    if (deps.health.draining) c.res.headers.set("Connection", "close");
  });
  app.use(requestLog(deps.logger, isInternal));
  app.route("/", healthRoutes(deps.health, deps.metrics));
  // Draining (SIGTERM): server.close() stops new connections, but Node still serves new requests
  // on open keep-alive ones. Turn new work away there, so the grace period is spent finishing what
  // runs, and tell the client to reconnect (to another instance behind the load balancer).
  app.use("/internal/*", async (c, next) => {
    if (deps.health.draining) {
      deps.metrics.errors.inc({ kind: "draining" });
      noteForLog(c, { reason: "draining" });
      return drainingResponse();
    }
    await next();
    // A request whose connection the server cut at the end of the grace period reads as a
    // caller's hang-up (499) to its handler: the log says who really ended it.
    if (c.res.status === 499 && deps.health.cutOff) noteForLog(c, { reason: "cut_off_at_shutdown" });
  });
  app.route("/", analyzeRoute(deps));
  app.route(
    "/",
    renderRoute({
      providers: deps.analysis.providers,
      signingSecret: deps.signingSecret,
      ...(deps.nonces ? { nonces: deps.nonces } : {}),
      ...(deps.renderAdmission ? { admission: deps.renderAdmission } : {}),
    }),
  );
  app.notFound((c) => {
    const allow = allowedMethods(app.routes, c.req.path).join(", ");
    if (allow === "") return problemResponse(problem(404, { detail: "no such route" }));
    noteForLog(c, { reason: "method_not_allowed" });
    return problemResponse(
      problem(405, { detail: `${c.req.method} is not served here; this route answers ${allow}.` }),
      { Allow: allow },
    );
  });
  app.onError((err, c) => {
    noteForLog(c, { reason: "unhandled", err });
    if (!isInternal(c.req.path)) deps.logger.error({ err }, "unhandled error");
    return problemResponse(problem(500, { detail: "internal error; it was logged" }));
  });
  return app;
}
