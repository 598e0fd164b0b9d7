/** Liveness, readiness and Prometheus metrics. */
import { Hono } from "hono";
import type { Metrics } from "../observability/metrics.js";

export interface HealthState {
  /** Model loaded and a warm-up inference done. */
  ready: boolean;
  /** Shutting down: not ready for new work, still alive. */
  draining: boolean;
  /** Past the shutdown grace period: what still runs is being cut off (not by its callers). */
  cutOff?: boolean;
  readonly executionProvider: string;
  readonly model: { name: string; version: string };
  /** Inference workers able to run now (a dead one is replaced; 0 while none is). */
  readonly liveWorkers?: () => number;
  /**
   * Imagery providers this instance can use (enabled and configured), in its order: the edge
   * reports the others as not configured instead of healthy.
   */
  readonly imageryProviders?: readonly string[];
}

export function healthRoutes(state: HealthState, metrics: Metrics) {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/readyz", (c) => {
    const noWorker = state.ready && state.liveWorkers?.() === 0;
    const ready = state.ready && !state.draining && !noWorker;
    return c.json(
      {
        status: ready ? "ready" : state.draining ? "draining" : noWorker ? "no_inference_worker" : "starting",
        model: state.model,
        execution_provider: state.executionProvider,
        ...(state.imageryProviders ? { imagery_providers: state.imageryProviders } : {}),
      },
      ready ? 200 : 503,
    );
  });
  app.get("/metrics", async (c) => {
    return c.body(await metrics.registry.metrics(), 200, { "content-type": metrics.registry.contentType });
  });
  return app;
}
