/**
 * The analysis result: an RFC 7946 FeatureCollection of lane-marking centrelines (LineStrings in
 * WGS84 lon/lat) with a top-level `analysis` foreign member describing how it was made. Objects are
 * not strict: clients must ignore members they do not know, so the response can grow.
 */
import { z } from "zod";
import { laneClassByName } from "../classes.js";
import { AreaSchema, ImageryProviderSchema, MarkingClassNameSchema } from "./request.js";

// minItems/maxItems: JSON Schema's prefixItems alone allows shorter and longer arrays.
const PositionSchema = z
  .tuple([z.number().min(-180).max(180), z.number().min(-90).max(90)])
  .meta({ minItems: 2, maxItems: 2 })
  .describe("[lon, lat] in WGS84 degrees.");

export const LineStringSchema = z.object({
  type: z.literal("LineString"),
  coordinates: z.array(PositionSchema).min(2),
});

export const DashStatsSchema = z
  .object({
    count: z
      .int()
      .min(1)
      .describe(
        "Number of painted dashes seen along the line, including any cut by the end of the analysed area.",
      ),
    mean_dash_m: z
      .number()
      .positive()
      .describe(
        "Mean length of the typical dashes, metres: a dash cut by the area's edge is left out, and so is one under half or over 1.5 times the median (a car, a merged pair).",
      ),
    mean_gap_m: z
      .number()
      .nonnegative()
      .describe(
        "Mean of the typical gaps between consecutive dashes, metres: gaps over 1.5 times the median (a dash worn away) or under half of it (a gap split by something bright) are left out.",
      ),
  })
  .meta({
    id: "DashStats",
    description:
      "Dash statistics, measured on the imagery: the paint's brightness (white) or yellowness (yellow) against the road beside it, along the line. Only on dashed lines whose dashes could be seen over at least two gaps, with a pattern inside the national ranges (dash 0.5–8 m, gap 1.5–15 m) that fits the line's length (count within a quarter, or 1.5, of the periods it holds).",
  });

export const LaneFeaturePropertiesSchema = z
  .object({
    id: z.string().describe("Feature id, unique within the analysis."),
    class: MarkingClassNameSchema,
    class_id: z.int().min(1).max(6),
    length_m: z.number().nonnegative().describe("Geodesic length of the centreline (WGS84), metres."),
    width_m: z.number().positive().describe("Measured width of the marking, metres."),
    width_resolved: z
      .boolean()
      .optional()
      .describe(
        "false when the marking is too narrow for the imagery: its mask is no wider than the label rule's 3-px minimum plus the model's blur (2.5 px), in the analysed grid's pixels or the imagery's own where those are coarser (imagery resampled up), and width_m is then an upper bound on the paint width, not a measurement of it. At 0.25 m/px that is every mask up to 1.4 m.",
      ),
    confidence: z.number().min(0).max(1).describe("Mean model probability of the class along the line."),
    dashed: z.boolean(),
    dash: DashStatsSchema.optional(),
  })
  .superRefine((p, ctx) => {
    // The registry is the single source of truth: class, class_id and dashed must agree with it.
    const c = laneClassByName(p.class);
    if (c && c.id !== p.class_id) {
      ctx.addIssue({ code: "custom", path: ["class_id"], message: `class_id of ${p.class} is ${c.id}` });
    }
    if (c && c.dashed !== p.dashed) {
      ctx.addIssue({ code: "custom", path: ["dashed"], message: `dashed of ${p.class} is ${c.dashed}` });
    }
    if (p.dash && !p.dashed)
      ctx.addIssue({ code: "custom", path: ["dash"], message: "dash is only for dashed lines" });
  });

export const LaneFeatureSchema = z
  .object({
    type: z.literal("Feature"),
    id: z.string(),
    geometry: LineStringSchema,
    properties: LaneFeaturePropertiesSchema,
  })
  .meta({ id: "LaneFeature", description: "One lane-marking centreline." });

export const ProviderAttemptSchema = z
  .object({
    provider: ImageryProviderSchema,
    outcome: z.enum(["used", "no_coverage", "failed", "timeout", "unhealthy", "not_configured"]),
    reason: z.string().optional().describe("Human explanation (never a secret or a stack trace)."),
  })
  .meta({ id: "ProviderAttempt" });

export const ClassTotalsSchema = z.object({
  count: z.int().nonnegative(),
  length_m: z.number().nonnegative(),
});

export const AnsweredRequestSchema = z
  .object({
    area: AreaSchema,
    resolution_m: z
      .number()
      .positive()
      .describe(
        "Ground resolution of the analysed grid, m/px: the requested one (default 0.25) kept inside the model's trained range. imagery.resolution_m is what the imagery itself resolves, which can be coarser.",
      ),
    classes: z
      .array(MarkingClassNameSchema)
      .describe("The classes returned (all when the request named none)."),
    providers: z.array(ImageryProviderSchema).describe("The provider preference, in order."),
    min_confidence: z.number().min(0).max(1),
  })
  .meta({
    id: "AnsweredRequest",
    description:
      "The request this result answers, with every default filled in. Requests that resolve to the same values share one result (and one cache entry): the area is the first such request's, rounded to the cache key's 1e-7° (about 1 cm) and without a polygon's bbox member or altitudes (accepted and ignored); a polygon's ring is given as the key holds it, whichever vertex or direction a request started from: closed, counter-clockwise (RFC 7946), from its westernmost vertex, without repeated vertices.",
  });

export const AnalysisInfoSchema = z
  .object({
    id: z.string().describe("Analysis id; GET /v1/analyses/{id} returns this result again."),
    request: AnsweredRequestSchema.optional(),
    model: z.object({ name: z.string(), version: z.string() }),
    imagery: z.object({
      provider: ImageryProviderSchema,
      attribution: z.string().min(1),
      resolution_m: z
        .number()
        .positive()
        .describe(
          "Real ground resolution of the analysed raster, m/px: the analysed grid's (request.resolution_m), or the imagery's own where that is coarser; rounded up to 0.1 mm, so it never reads finer than it is.",
        ),
      captured: z
        .string()
        .optional()
        .describe("Capture date or range of the imagery when the provider tells it."),
    }),
    area_m2: z.number().nonnegative().describe("Geodesic area of the requested area, m²."),
    totals: z
      .partialRecord(MarkingClassNameSchema, ClassTotalsSchema)
      .describe("Per requested class: number of features and their total length."),
    cache: z.enum(["HIT", "MISS"]),
    providers_tried: z.array(ProviderAttemptSchema),
    created_at: z.iso.datetime(),
    timings_ms: z.record(z.string(), z.number().nonnegative()).optional(),
  })
  .meta({ id: "AnalysisInfo", description: "How the result was made." });

export const AnalysisResponseSchema = z
  .object({
    type: z.literal("FeatureCollection"),
    bbox: z
      .tuple([z.number(), z.number(), z.number(), z.number()])
      .meta({ minItems: 4, maxItems: 4 })
      .describe("[west, south, east, north] of the area, WGS84 degrees (RFC 7946 §5).")
      .optional(),
    features: z.array(LaneFeatureSchema),
    analysis: AnalysisInfoSchema,
  })
  .meta({
    id: "AnalysisResponse",
    description: "Lane-marking centrelines as a GeoJSON FeatureCollection (RFC 7946) with analysis metadata.",
  });

export type DashStats = z.infer<typeof DashStatsSchema>;
export type LaneFeatureProperties = z.infer<typeof LaneFeaturePropertiesSchema>;
export type LaneFeature = z.infer<typeof LaneFeatureSchema>;
export type ProviderAttempt = z.infer<typeof ProviderAttemptSchema>;
export type ClassTotals = z.infer<typeof ClassTotalsSchema>;
export type AnalysisInfo = z.infer<typeof AnalysisInfoSchema>;
export type AnsweredRequest = z.infer<typeof AnsweredRequestSchema>;
export type AnalysisResponse = z.infer<typeof AnalysisResponseSchema>;
