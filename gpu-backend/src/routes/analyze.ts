/** POST /internal/v1/analyze: the edge's cache misses, signed, admitted or shed, answered as GeoJSON. */
import { PROBLEM_TYPES, problem, problemResponse } from "@lanesegnet/shared";
import { Hono } from "hono";
import { InternalAnalyzeSchema } from "../analysis/internal-request.js";
import {
  type AnalysisDeps,
  AreaTooLargeError,
  NoImageryError,
  runAnalysis,
} from "../analysis/run-analysis.js";
import { parseSignedJson, signedJsonBody } from "../middleware/signed-json-body.js";
import type { SignedBodyEnv } from "../middleware/verify-signature.js";
import type { Metrics } from "../observability/metrics.js";
import { noteForLog } from "../observability/request-log.js";
import type { NonceStore } from "../replay/redis-nonce-store.js";
import { type Admission, DrainingError, OverloadedError } from "../runtime/admission.js";
import { InferenceUnavailableError } from "../runtime/pool.js";
import { drainingResponse } from "./draining.js";
import { noImageryProblem } from "./no-imagery.js";

export interface AnalyzeRouteDeps {
  readonly analysis: AnalysisDeps;
  readonly admission: Admission;
  readonly signingSecret: string;
  /** Where accepted nonces are remembered (default: this route's own in-process cache). */
  readonly nonces?: NonceStore;
  readonly metrics: Metrics;
}

const MAX_BODY_BYTES = 256 * 1024;
/** A lost or hung worker's replacement loads the model in about a second or two. */
const INFERENCE_RETRY_AFTER_S = 5;

export function analyzeRoute(deps: AnalyzeRouteDeps) {
  const app = new Hono<SignedBodyEnv>();
  app.post(
    "/internal/v1/analyze",
    ...signedJsonBody({
      maxBytes: MAX_BODY_BYTES,
      secret: deps.signingSecret,
      ...(deps.nonces ? { nonces: deps.nonces } : {}),
    }),
    async (c) => {
      const parsed = parseSignedJson(c, InternalAnalyzeSchema);
      if (!parsed.ok) return parsed.response;
      const started = performance.now();
      const m = deps.metrics;
      noteForLog(c, { analysis_id: parsed.data.analysis_id });
      try {
        m.queueDepth.set(deps.admission.queued + 1);
        const result = await deps.admission.run(() => {
          m.queueDepth.set(deps.admission.queued);
          m.inFlight.set(deps.admission.inFlight);
          return runAnalysis(deps.analysis, parsed.data, c.req.raw.signal);
        }, c.req.raw.signal);
        m.stageSeconds.observe({ stage: "total" }, (performance.now() - started) / 1000);
        const tried = result.analysis.providers_tried;
        noteForLog(c, {
          provider: result.analysis.imagery.provider,
          features: result.features.length,
          timings_ms: result.analysis.timings_ms,
          // A provider that failed before another served: the operator's early warning.
          ...(tried.some((a) => a.outcome === "failed" || a.outcome === "timeout")
            ? { fallback: true, providers_tried: tried }
            : {}),
        });
        return c.json(result);
      } catch (e) {
        if (e instanceof OverloadedError) {
          m.errors.inc({ kind: "overloaded" });
          noteForLog(c, { reason: "overloaded", retry_after_s: e.retryAfterS });
          return problemResponse(
            problem(503, { detail: "the inference backend is at capacity; retry later" }),
            {
              "Retry-After": String(e.retryAfterS),
            },
          );
        }
        if (e instanceof DrainingError) {
          m.errors.inc({ kind: "draining" });
          noteForLog(c, { reason: "draining", queued: true });
          return drainingResponse();
        }
        if (e instanceof InferenceUnavailableError) {
          m.errors.inc({ kind: "inference_unavailable" });
          noteForLog(c, { reason: "inference_unavailable", why: e.message });
          return problemResponse(
            problem(503, { detail: "the inference backend cannot run the model right now; retry later" }),
            { "Retry-After": String(INFERENCE_RETRY_AFTER_S) },
          );
        }
        if (e instanceof AreaTooLargeError) {
          m.errors.inc({ kind: "area_too_large" });
          noteForLog(c, { reason: "area_too_large" });
          return problemResponse(
            problem(422, {
              type: PROBLEM_TYPES.areaTooLarge,
              detail: e.message,
              errors: [{ path: "/area", message: e.message }],
            }),
          );
        }
        if (e instanceof NoImageryError) {
          m.errors.inc({ kind: "no_imagery" });
          noteForLog(c, { reason: "no_imagery", providers_tried: e.attempts });
          return noImageryProblem(e.attempts);
        }
        if (c.req.raw.signal.aborted) {
          m.errors.inc({ kind: "aborted" });
          noteForLog(c, { reason: "client_closed" });
          return problemResponse(problem(499, { title: "Client Closed Request" }));
        }
        m.errors.inc({ kind: "internal" });
        noteForLog(c, { reason: "internal", err: e });
        return problemResponse(problem(500, { detail: "the analysis failed; the error was logged" }));
      } finally {
        m.queueDepth.set(deps.admission.queued);
        m.inFlight.set(deps.admission.inFlight);
      }
    },
  );
  return app;
}
