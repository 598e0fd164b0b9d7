/**
 * POST /analyze_road_infrastructure: the old service's route, kept for its frontend and marked
 * deprecated (OpenAPI `deprecated: true`; Deprecation, Sunset and Link headers name the successor,
 * POST /v1/analyses). The request maps onto a /v1 analysis (compat/request.ts) and takes the same
 * path — authentication, the hourly quota, validation, cache and single flight — so the same area
 * gives the same result, with the same lengths, as /v1. The answer is the old shape filled with that
 * result's real values (compat/old-shape.ts); `visualize=true` answers the overlay PNG instead.
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { type AnalysisResponse, analysisRequestSchema, DashStatsSchema, problem } from "@lanesegnet/shared";
import type { MiddlewareHandler } from "hono";
import { analysisTarget, parseBodyJson, readBodyText, refusalOf, sendsJson } from "../analyses/target.js";
import { toOldResponse } from "../compat/old-shape.js";
import { ANALYSIS_TYPES, OldBoundsSchema, OldQuerySchema, validateOldRequest } from "../compat/request.js";
import type { EdgeDeps } from "../deps.js";
import type { AppEnv } from "../env.js";
import { auth } from "../middleware/auth/index.js";
import { requireJson } from "../middleware/require-json/index.js";
import { EDGE_PROBLEM_TYPES, instanceOf, problemResponse } from "../problems.js";
import type { PictureService } from "../render/service.js";
import { waitUntilOf } from "../wait-until.js";
import {
  asRouteResponse,
  COMMON_ERRORS,
  COUNTED_ERROR_HEADERS,
  COUNTED_RETRYABLE_HEADERS,
  problemSpec,
  RATE_LIMIT_HEADERS,
  RETRY_AFTER_HEADER,
  SECURITY,
  UNAVAILABLE_ANALYSIS,
  UNSUPPORTED_BODY,
} from "./common.js";
import { PNG_CONTENT_TYPE, pictureResponse } from "./overlay.js";

export const COMPAT_PATH = "/analyze_road_infrastructure";

/** RFC 9745 Deprecation (since 2026-11-01), RFC 8594 Sunset, and the successor (RFC 8288 Link). */
export const DEPRECATION_HEADERS = {
  Deprecation: "@1793491200",
  Sunset: "Tue, 01 Jun 2027 00:00:00 GMT",
  Link: '</v1/analyses>; rel="successor-version", </docs>; rel="deprecation"; type="text/html"',
} as const;

const OldElementSchema = z.object({
  class: z.string(),
  class_id: z.int(),
  infrastructure_type: z.literal("lane_marking"),
  points: z
    .array(z.tuple([z.number(), z.number()]).meta({ minItems: 2, maxItems: 2 }))
    .describe("Pixel [x, y] in the raster of image_metadata."),
  geographic_points: z.array(z.object({ latitude: z.number(), longitude: z.number() })),
  confidence: z.number(),
  area_pixels: z.number().describe("length_pixels x width_meters in pixels."),
  area_sqm: z.number().describe("length_meters x width_meters."),
  length_pixels: z.number(),
  length_meters: z.number().describe("Geodesic length (the /v1 feature's length_m)."),
  width_meters: z
    .number()
    .describe(
      "The measured marking width, or where the paint is narrower than the imagery resolves (the /v1 feature's width_resolved: false, whose width_m is only an upper bound) the class's standard width, or that upper bound where it is smaller (width_source: standard).",
    ),
  condition: z.null(),
  material: z.null(),
  id: z.string(),
  width_source: z
    .enum(["measured", "standard"])
    .describe(
      "Addition: whether width_meters was measured, or is the class's standard marking width (never more than the /v1 upper bound, so it can be less than the standard).",
    ),
  dashed: z.boolean(),
  dash: DashStatsSchema.optional().describe(
    "Addition: the dash statistics of a dashed line where its pattern was measured (the /v1 feature's dash).",
  ),
});

const OldResponseSchema = z
  .object({
    infrastructure_elements: z.array(OldElementSchema),
    analysis_summary: z.object({
      total_elements: z.int(),
      elements_by_type: z.record(z.string(), z.int()),
      elements_by_class: z.record(z.string(), z.int()),
      total_road_area_sqm: z.null(),
      total_lane_length_m: z.number(),
      length_by_class_m: z.record(z.string(), z.number()),
    }),
    image_metadata: z.object({
      width: z.int(),
      height: z.int(),
      resolution_mpp: z
        .number()
        .describe(
          "The raster's ground resolution: the /v1 analysis.imagery.resolution_m (the analysed grid's, or the imagery's own where that is coarser).",
        ),
      bounds: OldBoundsSchema.describe(
        "The requested box. The raster starts at its north-west corner; its last column and row can end up to a pixel short of or past east and south (GET /v1/analyses/{id}/imagery.png's X-Image-Bounds gives the raster's exact extent).",
      ),
      acquisition_date: z.string().nullable(),
      source: z.string(),
      attribution: z.string(),
    }),
    processing_time_ms: z.number(),
    model_type: z.string(),
    analysis_type: z.enum(ANALYSIS_TYPES),
    confidence_threshold: z.number(),
    coverage_percentage: z.null(),
    analysis_id: z.string(),
    cache: z.enum(["HIT", "MISS"]),
    links: z.record(z.string(), z.string()),
  })
  .openapi("OldRoadInfrastructureResponse");

const DEPRECATION_DOC = z.object({
  Deprecation: z.string().describe("When this route was deprecated (RFC 9745)."),
  Sunset: z.string().describe("When it may stop working (RFC 8594)."),
  Link: z
    .string()
    .describe(
      'The successor route, POST /v1/analyses (rel="successor-version"), and on an analysis that was stored, the /v1 result it comes from (rel="related").',
    ),
});

/** What the 200 says besides the deprecation and the quota: JSON and picture alike, then each its own. */
const COMPAT_OK_DOC = DEPRECATION_DOC.extend(RATE_LIMIT_HEADERS.shape).extend({
  "X-Cache": z
    .enum(["HIT", "MISS"])
    .describe(
      "HIT: from the cache; MISS: made for this request. The analysis's on the JSON, the picture's with `visualize=true`.",
    ),
  "Cache-Control": z
    .string()
    .describe("`private, no-cache` on the JSON; `private, max-age=3600` on the picture (it never changes)."),
  ETag: z
    .string()
    .optional()
    .describe("With `visualize=true`: the picture's entity tag, as GET overlay.png gives it."),
  "X-Image-Bounds": z
    .string()
    .optional()
    .describe("With `visualize=true`: the picture's lon/lat extent, `west,south,east,north`."),
});

export function registerCompatRoute(
  app: OpenAPIHono<AppEnv>,
  deps: EdgeDeps,
  rateLimitMiddleware: MiddlewareHandler<AppEnv>,
  pictures: PictureService,
): void {
  const requestDefaults = {
    providers: deps.config.providerChain,
    minConfidence: deps.config.defaultMinConfidence,
    coarsestAnalysedM: deps.config.modelMaxGsdM,
    finestAnalysedM: deps.config.modelMinGsdM,
  };
  const schema = analysisRequestSchema(requestDefaults);
  const inputDeps = {
    results: deps.analyses,
    model: deps.config.model,
    idKey: deps.resultIdKey,
    defaults: requestDefaults,
    schema,
  };
  // The rate-limit middleware runs after it on every path of this route, so a known key's check
  // can travel in its round trip, as on POST /v1/analyses.
  const authenticate = auth({
    apiKeys: deps.apiKeys,
    apiKeyCache: deps.apiKeyCache,
    jwt: deps.jwt,
    defersKeyCheck: () => true,
  });
  // Before the rate limit, as for /v1 (analyses/target.ts): the analysis of a valid old request is
  // known, so its stored result is read in the rate limiter's round trip. Anything else is left to
  // the route's validators and handler, which answer it exactly as before.
  const oldInput: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (sendsJson(c)) {
      // Read as strictly as /v1's body: UTF-8 only, no member twice (answered after the JSON check).
      const read = await readBodyText(c);
      const body = read.kind === "text" ? parseBodyJson(read.text) : read;
      if (body.kind !== "json") {
        c.set("analysisInput", body);
        return next();
      }
      const bounds = OldBoundsSchema.safeParse(body.value);
      const query = OldQuerySchema.safeParse(c.req.query());
      const checked =
        bounds.success && query.success
          ? validateOldRequest(bounds.data, query.data.resolution, schema)
          : null;
      if (checked?.ok) {
        const target = await analysisTarget(c, checked.request, inputDeps);
        c.set("analysisInput", { kind: "valid", target });
      }
    }
    await next();
  };
  // After the rate limit and the JSON check, as on /v1: a body not UTF-8 or with a member twice.
  const refuseUnreadable: MiddlewareHandler<AppEnv> = async (c, next) => {
    const input = c.get("analysisInput");
    const refused = input && refusalOf(c, input);
    if (refused) return refused;
    await next();
  };
  // Every answer of the route, errors included, says it is deprecated.
  const deprecation: MiddlewareHandler<AppEnv> = async (c, next) => {
    await next();
    for (const [k, v] of Object.entries(DEPRECATION_HEADERS)) {
      // Link holds several link-values (RFC 8288 §3): the answer's own (the /v1 result) stays.
      if (k === "Link") c.res.headers.append(k, v);
      else c.res.headers.set(k, v);
    }
  };

  const route = createRoute({
    method: "post",
    path: COMPAT_PATH,
    tags: ["compatibility"],
    deprecated: true,
    summary: "The old service's analysis (deprecated: use POST /v1/analyses)",
    description:
      "Kept for the old road-engineering frontend. Body `{north, south, east, west}`, query `resolution` (m/px, default 0.1) and `analysis_type`. Runs the same analysis as POST /v1/analyses for `bbox: [west, south, east, north]` at that resolution (same cache, same result, same lengths) and counts against the same hourly quota. The answer keeps the old shape, with real values: geodesic `length_meters`, `points` in the pixels of the raster `image_metadata` describes (that of GET /v1/analyses/{id}/imagery.png: the area's grid at `resolution_mpp`, the imagery's real resolution, which can be coarser than `resolution`), and null where nothing measures a field. Sunset: 2027-06-01.",
    security: SECURITY,
    middleware: [
      deprecation,
      authenticate,
      oldInput,
      rateLimitMiddleware,
      requireJson(),
      refuseUnreadable,
    ] as const,
    request: {
      query: OldQuerySchema,
      body: { required: true, content: { "application/json": { schema: OldBoundsSchema } } },
    },
    responses: {
      200: {
        description: "The analysis in the old shape (or, with `visualize=true`, the overlay PNG).",
        headers: COMPAT_OK_DOC,
        content: {
          "application/json": { schema: OldResponseSchema },
          [PNG_CONTENT_TYPE]: { schema: z.string().openapi({ format: "binary" }) },
        },
      },
      400: problemSpec(
        "Invalid bounds or query; `detail` says what, `errors` lists each field.",
        COUNTED_ERROR_HEADERS,
      ),
      413: problemSpec("The body is too large."),
      415: UNSUPPORTED_BODY,
      422: problemSpec("No enabled imagery provider covers the area.", COUNTED_ERROR_HEADERS),
      429: problemSpec("The hourly quota is spent.", RATE_LIMIT_HEADERS.extend(RETRY_AFTER_HEADER.shape)),
      502: problemSpec(
        "The analysis service failed, or every imagery provider tried failed (with Retry-After).",
        COUNTED_RETRYABLE_HEADERS,
      ),
      504: problemSpec("The analysis took too long.", COUNTED_ERROR_HEADERS),
      ...COMMON_ERRORS,
      503: UNAVAILABLE_ANALYSIS,
    },
  });

  app.openapi(route, async (c) => {
    // From the request's arrival, so a cache hit's round trips (before this handler) count too.
    const started = c.get("startedAt") ?? performance.now();
    const bounds = c.req.valid("json");
    const query = c.req.valid("query");
    // oldInput already validated a valid request and worked out its analysis; validate only the rest.
    const input = c.get("analysisInput");
    let target = input?.kind === "valid" ? input.target : undefined;
    if (!target) {
      const checked = validateOldRequest(bounds, query.resolution, schema);
      if (!checked.ok) {
        return asRouteResponse(
          problemResponse(
            problem(400, {
              type: EDGE_PROBLEM_TYPES.invalidRequest,
              title: "Invalid request",
              detail: checked.errors[0]?.message ?? "Invalid bounds.",
              errors: checked.errors,
              instance: instanceOf(c),
            }),
          ),
        );
      }
      target = await analysisTarget(c, checked.request, inputDeps);
    }
    const { request, id } = target;
    Object.assign(c.get("audit"), { area_hash: target.areaHash, analysis_id: id });

    const outcome = await deps.analyses.analyze(request, {
      id,
      requestId: c.get("requestId"),
      waitUntil: waitUntilOf(c),
      ...(target.stored ? { stored: target.stored } : {}),
    });
    if (outcome.kind === "problem") {
      Object.assign(c.get("audit"), { error: outcome.problem.type, cause: outcome.cause });
      const headers: Record<string, string> = {};
      if (outcome.retryAfterS !== undefined) headers["Retry-After"] = String(outcome.retryAfterS);
      return asRouteResponse(problemResponse({ ...outcome.problem, instance: instanceOf(c) }, headers));
    }
    Object.assign(c.get("audit"), {
      cache: outcome.cache,
      provider: outcome.provider,
      ...(outcome.stored === undefined ? {} : { stored: outcome.stored }),
    });
    const result = JSON.parse(outcome.body) as AnalysisResponse;

    if (query.visualize) {
      const picture = await pictures.picture("overlay", id, {
        requestId: c.get("requestId"),
        waitUntil: waitUntilOf(c),
        result,
      });
      return asRouteResponse(pictureResponse(c, picture));
    }
    const body = toOldResponse(result, {
      bounds,
      analysisType: query.analysis_type,
      minConfidence: request.min_confidence,
      processingTimeMs: performance.now() - started,
      cache: outcome.cache,
    });
    return asRouteResponse(
      new Response(JSON.stringify(body), {
        status: 200,
        headers: {
          "content-type": "application/json",
          "x-cache": outcome.cache,
          // Not Content-Location: this body is not a representation of the /v1 result (another
          // shape, another media type), which is what that header would assert (RFC 9110 §8.7).
          ...(outcome.stored === false ? {} : { link: `</v1/analyses/${id}>; rel="related"` }),
          "cache-control": "private, no-cache",
        },
      }),
    );
  });
}
