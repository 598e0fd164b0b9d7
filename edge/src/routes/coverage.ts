/**
 * GET /v1/coverage?bbox=w,s,e,n[&limit=n] — footprints of local high-resolution imagery that
 * intersect an area, as GeoJSON, best first (finest resolution, then largest overlap), from the
 * coverage index (providers/coverage.ts).
 */
import { createRoute, type OpenAPIHono, z } from "@hono/zod-openapi";
import { MAX_LATITUDE, toGeoJSON } from "@lanesegnet/shared";
import type { EdgeDeps } from "../deps.js";
import type { AppEnv } from "../env.js";
import { EDGE_PROBLEM_TYPES, instanceOf, problemJson } from "../problems.js";
import { GEOJSON_CONTENT_TYPE } from "./analyses.js";
import { asRouteResponse, COMMON_ERRORS, problemSpec, RETRY_AFTER_HEADER, SECURITY } from "./common.js";

/** Widest query, in degrees of longitude and latitude: bounds the work of one query. */
export const COVERAGE_MAX_SPAN_DEG = 1;
export const COVERAGE_DEFAULT_LIMIT = 200;
export const COVERAGE_MAX_LIMIT = 1_000;

const number = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;

export const CoverageQuerySchema = z.object({
  bbox: z
    .string({
      error: (i) =>
        i.input === undefined ? "bbox is required: west,south,east,north in WGS84 degrees" : undefined,
    })
    .transform((s, ctx) => {
      const parts = s.split(",");
      if (parts.length !== 4 || !parts.every((p) => number.test(p.trim()))) {
        ctx.addIssue({ code: "custom", message: "bbox must be four numbers: west,south,east,north" });
        return z.NEVER;
      }
      return parts.map(Number) as [number, number, number, number];
    })
    .superRefine(([w, s, e, n], ctx) => {
      const lon = (v: number) => v >= -180 && v <= 180;
      const lat = (v: number) => v >= -MAX_LATITUDE && v <= MAX_LATITUDE;
      // Each bound on both sides: 200,0,-200,1 is out of range, not a box across the antimeridian.
      if (!lon(w) || !lon(e) || !lat(s) || !lat(n)) {
        ctx.addIssue({
          code: "custom",
          message: `bbox must lie within longitude [-180, 180] and latitude [-${MAX_LATITUDE}, ${MAX_LATITUDE}]`,
        });
      } else if (!(w < e && s < n)) {
        ctx.addIssue({
          code: "custom",
          message:
            "bbox must have west < east and south < north" +
            // As for analyses (shared geo/validate.ts): only a box near ±180° can mean a crossing.
            (w > 90 && e < -90
              ? "; areas crossing the antimeridian (180°) are not supported: ask for each side of 180°"
              : ""),
        });
      } else if (e - w > COVERAGE_MAX_SPAN_DEG || n - s > COVERAGE_MAX_SPAN_DEG) {
        ctx.addIssue({
          code: "custom",
          message: `bbox may span at most ${COVERAGE_MAX_SPAN_DEG}° in each direction`,
        });
      }
    })
    .openapi({
      param: { name: "bbox", in: "query" },
      description: "west,south,east,north in WGS84 degrees",
      example: "-121.497,38.579,-121.492,38.584",
    }),
  limit: z
    .string()
    .regex(/^\d+$/)
    .transform(Number)
    .pipe(z.int().min(1).max(COVERAGE_MAX_LIMIT))
    .optional()
    .openapi({
      param: { name: "limit", in: "query" },
      description: `Most footprints returned (default ${COVERAGE_DEFAULT_LIMIT}, at most ${COVERAGE_MAX_LIMIT}).`,
    }),
});

const FootprintSchema = z.object({
  type: z.literal("Feature"),
  id: z.string(),
  bbox: z
    .tuple([z.number(), z.number(), z.number(), z.number()])
    .meta({ minItems: 4, maxItems: 4 })
    .describe("[west, south, east, north], WGS84 degrees."),
  geometry: z.object({
    type: z.literal("Polygon"),
    coordinates: z.array(z.array(z.tuple([z.number(), z.number()]).meta({ minItems: 2, maxItems: 2 }))),
  }),
  properties: z.object({
    id: z.string(),
    width_px: z.int().describe("Image width in pixels."),
    height_px: z.int().describe("Image height in pixels."),
    mercator_resolution_m: z.number().describe("Web Mercator metres per pixel."),
    ground_resolution_m: z.number().describe("Ground metres per pixel at the query's latitude."),
    coverage: z.number().describe("Fraction of the query area this image covers."),
  }),
});

export const CoverageCollectionSchema = z
  .object({
    type: z.literal("FeatureCollection"),
    features: z.array(FootprintSchema),
    truncated: z.boolean().describe("More footprints intersect the area than were returned."),
  })
  .meta({
    id: "CoverageCollection",
    description: "Local imagery footprints (lon/lat Polygons), best first.",
  });

export function registerCoverageRoute(app: OpenAPIHono<AppEnv>, deps: EdgeDeps): void {
  const route = createRoute({
    method: "get",
    path: "/v1/coverage",
    tags: ["imagery"],
    summary: "Local high-resolution imagery in an area",
    security: SECURITY,
    request: { query: CoverageQuerySchema },
    responses: {
      200: {
        description: "Footprints intersecting the area.",
        content: { [GEOJSON_CONTENT_TYPE]: { schema: CoverageCollectionSchema } },
      },
      400: problemSpec("The bbox or limit is malformed, out of range or too wide."),
      ...COMMON_ERRORS,
      503: problemSpec(
        "No coverage index is configured (permanent: no Retry-After), it is being loaded (Retry-After: 5), or it could not be loaded (Retry-After: 30).",
        RETRY_AFTER_HEADER.partial(),
      ),
    },
  });

  app.openapi(route, async (c) => {
    const { bbox, limit = COVERAGE_DEFAULT_LIMIT } = c.req.valid("query");
    const state = await deps.coverage.get();
    if (state.state === "not_configured") {
      // Permanent until an operator sets COVERAGE_INDEX_URL: no Retry-After invites a retry loop.
      return asRouteResponse(
        problemJson(503, {
          type: EDGE_PROBLEM_TYPES.storageUnavailable,
          title: "Coverage index unavailable",
          detail: "This server has no local imagery index configured; retrying will not change that.",
          instance: instanceOf(c),
        }),
      );
    }
    if (state.state !== "ready") {
      const loading = state.state === "loading";
      return asRouteResponse(
        problemJson(
          503,
          {
            type: EDGE_PROBLEM_TYPES.storageUnavailable,
            title: "Coverage index unavailable",
            detail: loading
              ? "The local imagery index is being loaded; try again in a few seconds."
              : "The local imagery index could not be loaded; try again shortly.",
            instance: instanceOf(c),
          },
          { "Retry-After": loading ? "5" : "30" },
        ),
      );
    }
    const hits = state.index.search({ lonLat: bbox }, { limit: limit + 1 });
    const body = { ...toGeoJSON(hits.slice(0, limit)), truncated: hits.length > limit };
    return asRouteResponse(
      c.body(JSON.stringify(body), 200, {
        "content-type": GEOJSON_CONTENT_TYPE,
        "cache-control": "private, max-age=60",
      }),
    );
  });
}
