/**
 * The old service's request, `POST /analyze_road_infrastructure`:
 *   body  {north, south, east, west}          (WGS84 degrees; other members were ignored, still are)
 *   query resolution=<m/px, default 0.1>, analysis_type=comprehensive|lane_markings|pavements,
 *         visualize=true|false, model_type=<ignored: one model serves>
 * mapped onto a /v1 analysis request, so it takes the same path (validation, cache, single flight)
 * and an identical /v1 request shares its result. Validation errors name the old fields.
 */
import { z } from "@hono/zod-openapi";
import {
  type AnalysisRequest,
  AnalysisRequestSchema,
  type FieldError,
  fieldErrorsFromZod,
  LIMITS,
} from "@lanesegnet/shared";

/** The old service's default ground resolution (metres per pixel). */
export const OLD_DEFAULT_RESOLUTION_M = 0.1;
export const ANALYSIS_TYPES = ["comprehensive", "lane_markings", "pavements"] as const;

export const OldBoundsSchema = z
  .looseObject({
    north: z.number().describe("Northern boundary latitude (WGS84 degrees)."),
    south: z.number().describe("Southern boundary latitude."),
    east: z.number().describe("Eastern boundary longitude."),
    west: z.number().describe("Western boundary longitude."),
  })
  .openapi("OldGeographicBounds", {
    example: { north: 38.5824, south: 38.58, east: -121.493, west: -121.496 },
  });

const flag = z
  .enum(["true", "false", "1", "0"])
  .optional()
  .transform((v) => v === "true" || v === "1");

export const OldQuerySchema = z.object({
  resolution: z
    .preprocess(
      // Coercion reads an empty or blank value as 0, which "must be at least 0.05" would answer.
      (v) => (typeof v === "string" && v.trim() === "" ? Number.NaN : v),
      z.coerce
        .number({ error: "resolution must be one number, in metres per pixel" })
        // Their own words: the number's error above would otherwise speak for these checks too.
        .min(LIMITS.minResolutionM, { error: `resolution must be at least ${LIMITS.minResolutionM} m/px` })
        .max(LIMITS.maxResolutionM, { error: `resolution must be at most ${LIMITS.maxResolutionM} m/px` }),
    )
    .default(OLD_DEFAULT_RESOLUTION_M)
    .openapi({
      param: { name: "resolution", in: "query" },
      description: "Ground resolution, m/px (default 0.1).",
    }),
  analysis_type: z
    .enum(ANALYSIS_TYPES)
    .default("comprehensive")
    .openapi({
      param: { name: "analysis_type", in: "query" },
      description:
        "Echoed back. Every type finds lane markings: the only infrastructure this service detects.",
    }),
  visualize: flag.openapi({
    param: { name: "visualize", in: "query" },
    description: "true: answer the overlay picture (PNG) instead of JSON.",
  }),
  model_type: z
    .string()
    .max(64)
    .optional()
    .openapi({
      param: { name: "model_type", in: "query" },
      description: "Ignored: one model serves all requests.",
    }),
});

export type OldBounds = z.infer<typeof OldBoundsSchema>;
export type OldQuery = z.infer<typeof OldQuerySchema>;

export function toAnalysisRequest(bounds: OldBounds, resolutionM: number): AnalysisRequest {
  return {
    area: { type: "bbox", bbox: [bounds.west, bounds.south, bounds.east, bounds.north] },
    resolution_m: resolutionM,
  };
}

const BBOX_FIELDS = ["west", "south", "east", "north"] as const;

/** A /v1 field path in the old request's terms ("/area/bbox/2" -> "/east", "/resolution_m" -> "/resolution"). */
export function oldFieldPath(path: string): string {
  const m = /^\/area\/bbox(?:\/(\d))?(.*)$/.exec(path);
  if (m) return m[1] === undefined ? "" : `/${BBOX_FIELDS[Number(m[1])] ?? m[1]}`;
  if (path.startsWith("/resolution_m")) return "/resolution";
  return path;
}

/** A /v1 validation message in the old request's terms (its `resolution` query, its bounds). */
export function oldFieldMessage(message: string): string {
  return message
    .replace(/\bresolution_m\b/g, "resolution")
    .replace(": a bbox is [west, south, east, north] with west < east", "");
}

/** Validate the mapped request; field errors are reported in the old request's terms. */
export function validateOldRequest(
  bounds: OldBounds,
  resolutionM: number,
  schema: Pick<typeof AnalysisRequestSchema, "safeParse"> = AnalysisRequestSchema,
): { ok: true; request: AnalysisRequest } | { ok: false; errors: FieldError[] } {
  const parsed = schema.safeParse(toAnalysisRequest(bounds, resolutionM));
  if (parsed.success) return { ok: true, request: parsed.data };
  return {
    ok: false,
    errors: fieldErrorsFromZod(parsed.error).map((e) => ({
      path: oldFieldPath(e.path),
      message: oldFieldMessage(e.message),
    })),
  };
}
