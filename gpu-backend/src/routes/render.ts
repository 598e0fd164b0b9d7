/**
 * POST /internal/v1/render (signed by the edge): a PNG of an analysed area's imagery, alone or with
 * the markings, a legend and the attribution drawn on it. The imagery comes again from the provider
 * that served the analysis, on the grid rule of the analysis (targetGrid), so the picture lines up
 * with the result's coordinates. Bounded like analyses: a few renders at once, a short queue, then
 * 503 + Retry-After.
 *
 * Answers: 200 image/png (X-Image-Width/Height: the picture, X-Grid-Width/Height: the raster it
 * was drawn from); 400 invalid request; 401 bad signature; 422 the provider is not enabled here or
 * has no imagery of the area; 502 the provider failed; 503 busy.
 */
import { type ImageryProviderName, PROBLEM_TYPES, problem, problemResponse } from "@lanesegnet/shared";
import { Hono } from "hono";
import { parseSignedJson, signedJsonBody } from "../middleware/signed-json-body.js";
import type { SignedBodyEnv } from "../middleware/verify-signature.js";
import { noteForLog } from "../observability/request-log.js";
import { NoCoverageError, ProviderConfigError, TooCoarseError } from "../providers/errors.js";
import type { ImageryProvider } from "../providers/types.js";
import { targetGrid } from "../raster/target-grid.js";
import { renderPng } from "../render/compose.js";
import { DEFAULT_MAX_SIZE_PX, RenderRequestSchema } from "../render/request.js";
import type { NonceStore } from "../replay/redis-nonce-store.js";
import { Admission, DrainingError, OverloadedError } from "../runtime/admission.js";
import { drainingResponse } from "./draining.js";

export const RENDER_PATH = "/internal/v1/render";

export interface RenderRouteDeps {
  readonly providers: ReadonlyMap<ImageryProviderName, ImageryProvider>;
  readonly signingSecret: string;
  /** Where accepted nonces are remembered (default: this route's own in-process cache). */
  readonly nonces?: NonceStore;
  /**
   * Renders at once and waiting (default 2 and 8), as an Admission the server drains at shutdown;
   * or only the bounds, for an admission of the route's own.
   */
  readonly admission?: Admission;
  readonly concurrent?: number;
  readonly queue?: number;
  /** Time budget of one imagery fetch (default 20 s). */
  readonly fetchTimeoutMs?: number;
}

/** A stored result with 20 000 lines of a few hundred vertices stays far below this. */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

export function renderRoute(deps: RenderRouteDeps) {
  const admission = deps.admission ?? new Admission(deps.concurrent ?? 2, deps.queue ?? 8);
  const app = new Hono<SignedBodyEnv>();
  app.post(
    RENDER_PATH,
    ...signedJsonBody({
      maxBytes: MAX_BODY_BYTES,
      secret: deps.signingSecret,
      ...(deps.nonces ? { nonces: deps.nonces } : {}),
    }),
    async (c) => {
      const parsed = parseSignedJson(c, RenderRequestSchema);
      if (!parsed.ok) return parsed.response;
      const req = parsed.data;
      const provider = deps.providers.get(req.provider);
      if (!provider) {
        noteForLog(c, { reason: "provider_not_enabled", provider: req.provider });
        return problemResponse(
          problem(422, {
            type: PROBLEM_TYPES.noImagery,
            title: "No imagery",
            detail: `${req.provider} is not enabled on this backend`,
          }),
        );
      }
      const grid = targetGrid(req.bbox, req.resolution_m);
      const hungUp = c.req.raw.signal;
      try {
        const rendered = await admission.run(async () => {
          // The time limit is the render's own, from when it is admitted: time waiting in the
          // queue (bounded by its length) is not a slow provider.
          const signal = AbortSignal.any([hungUp, AbortSignal.timeout(deps.fetchTimeoutMs ?? 20_000)]);
          const imagery = await provider.fetch({ grid, bboxLonLat: req.bbox, signal });
          return renderPng(
            imagery.raster,
            req.max_size_px ?? DEFAULT_MAX_SIZE_PX,
            req.kind === "overlay"
              ? {
                  lines: req.lines ?? [],
                  ...(req.totals ? { totals: req.totals } : {}),
                  attribution: imagery.attribution,
                  ...(req.caption ? { caption: req.caption } : {}),
                  ...(req.area ? { area: req.area } : {}),
                }
              : undefined,
          );
        }, hungUp);
        return new Response(new Uint8Array(rendered.png), {
          status: 200,
          headers: {
            "content-type": "image/png",
            "x-image-width": String(rendered.width),
            "x-image-height": String(rendered.height),
            "x-grid-width": String(grid.width),
            "x-grid-height": String(grid.height),
          },
        });
      } catch (e) {
        if (e instanceof DrainingError) {
          noteForLog(c, { reason: "draining", queued: true });
          return drainingResponse();
        }
        if (e instanceof OverloadedError) {
          noteForLog(c, { reason: "overloaded" });
          return problemResponse(problem(503, { detail: "too many renders in progress; retry later" }), {
            "Retry-After": String(e.retryAfterS),
          });
        }
        if (e instanceof NoCoverageError || e instanceof TooCoarseError || e instanceof ProviderConfigError) {
          noteForLog(c, { reason: "no_imagery", provider: req.provider });
          return problemResponse(
            problem(422, {
              type: PROBLEM_TYPES.noImagery,
              title: "No imagery",
              detail: `${req.provider} has no imagery of this area`,
            }),
          );
        }
        // Provider errors, timeouts and bugs: logged here, reported to the edge as a bad gateway.
        // A caller that hung up is no failure of ours (and reads no answer).
        if (hungUp.aborted) {
          noteForLog(c, { reason: "client_closed" });
          return problemResponse(problem(499, { title: "Client Closed Request" }));
        }
        noteForLog(c, {
          reason: "provider_failed",
          provider: req.provider,
          err: e,
        });
        return problemResponse(problem(502, { detail: "the imagery could not be fetched or drawn" }), {
          "Retry-After": "30",
        });
      }
    },
  );
  return app;
}
