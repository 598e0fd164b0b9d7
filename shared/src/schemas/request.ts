/**
 * The analysis request (POST /v1/analyses). The schema alone rejects every bad request: structure
 * and types here, geography and work limits through validateArea (superRefine), so the edge never
 * passes an area it would refuse to the backend.
 */
import { z } from "zod";
import { LANE_CLASS_NAMES, type MarkingClassName } from "../classes.js";
import { areaIssuesAsAnalysed } from "../geo/analysed-area.js";
import { MAX_LATITUDE } from "../geo/mercator.js";
import {
  type AnalysisLimitOptions,
  analysedResolutionM,
  canonicalConfidence,
  canonicalResolutionM,
  LIMITS,
} from "../limits.js";
import { IMAGERY_PROVIDERS, type ImageryProviderName } from "../providers.js";

/** Class names a request may filter on (every class but background). */
export const MARKING_CLASS_NAMES = LANE_CLASS_NAMES.filter(
  (n): n is MarkingClassName => n !== "background",
) as readonly MarkingClassName[] as readonly [MarkingClassName, ...MarkingClassName[]];

export const MarkingClassNameSchema = z.enum(MARKING_CLASS_NAMES).meta({
  id: "MarkingClassName",
  description: "A lane-marking class (the registry in shared/src/classes.ts; background excluded).",
});

export const ImageryProviderSchema = z.enum(IMAGERY_PROVIDERS).meta({
  id: "ImageryProvider",
  description:
    "An imagery source: the local store, Esri World Imagery, Mapbox Satellite or Google Earth Engine.",
});

const unique = <T>(items: readonly T[]): boolean => new Set(items).size === items.length;

/** Imagery providers in order of preference, each once (the public field, and the edge's choice it signs to the backend). */
export const ProviderPreferenceSchema = z
  .array(ImageryProviderSchema)
  .min(1)
  .max(IMAGERY_PROVIDERS.length)
  .refine(unique, { error: "providers must not repeat" })
  .meta({ uniqueItems: true });

/*
 * Documented, not enforced, here: validateArea (superRefine below) checks coordinate ranges, ring
 * length and repeats with messages that say what to do, so these bounds go into the OpenAPI
 * document only (.meta), where clients and generated SDKs can check a body before spending quota.
 */
const LON_DOC = { minimum: -180, maximum: 180 };
const LAT_DOC = { minimum: -MAX_LATITUDE, maximum: MAX_LATITUDE };
const lon = () => z.number().meta(LON_DOC);
const lat = () => z.number().meta(LAT_DOC);

export const BboxAreaSchema = z
  .strictObject({
    type: z.literal("bbox"),
    bbox: z
      .tuple([lon(), lat(), lon(), lat()], {
        // Only for the bbox as a whole (its type or length); a bad item keeps its own message.
        error: (issue) =>
          issue.code === "invalid_type" || issue.code === "too_small" || issue.code === "too_big"
            ? `bbox must be 4 numbers [west, south, east, north]${Array.isArray(issue.input) ? `, got ${issue.input.length} items` : ""}`
            : undefined,
      })
      .meta({ minItems: 4, maxItems: 4 })
      .describe(
        "[west, south, east, north] in WGS84 degrees (latitudes within the Web Mercator limit); west < east (no antimeridian crossing), south < north.",
      ),
  })
  .meta({
    id: "BboxArea",
    description: "An axis-aligned lon/lat box.",
    example: { type: "bbox", bbox: [-121.496, 38.58, -121.493, 38.5824] },
  });

const PositionSchema = z
  .array(z.number())
  .min(2)
  .max(3)
  .meta({ prefixItems: [{ type: "number", ...LON_DOC }, { type: "number", ...LAT_DOC }, { type: "number" }] })
  .describe(
    "[lon, lat] or [lon, lat, altitude] in WGS84 degrees (altitude ignored, except that a ring's first and last positions must agree in it too).",
  );

/**
 * Why `coordinates` does not hold exactly one ring. A ring sent without its outer brackets
 * ([[lon, lat], …] instead of [[[lon, lat], …]]) is the common mistake: its positions would
 * otherwise read as holes.
 */
function ringCountMessage(input: unknown): string {
  const rings = Array.isArray(input) ? input : [];
  if (rings.length === 0) return "coordinates must hold one linear ring: [[[lon, lat], …]]";
  const isPosition = (p: unknown) =>
    Array.isArray(p) && p.length > 0 && p.every((v) => typeof v === "number");
  if (rings.some(isPosition)) {
    return "coordinates must be an array of linear rings, [[[lon, lat], …]]: this looks like one ring without its outer brackets";
  }
  return "polygons with holes (interior rings) are not supported: send only the exterior ring";
}

export const PolygonAreaSchema = z
  .strictObject({
    type: z.literal("Polygon"),
    coordinates: z
      .array(
        // +1: the closing position repeats the first vertex. Bounding the array here bounds all
        // later work (including the O(n²) self-intersection test) before it starts.
        z
          .array(PositionSchema)
          .max(LIMITS.maxPolygonVertices + 1, {
            error: `the ring has too many positions: at most ${LIMITS.maxPolygonVertices} vertices (and the closing position) are allowed`,
          })
          .meta({ minItems: 4 }),
      )
      // Judged whenever the value is an array, even when its elements failed (zod's `when`): a ring
      // sent without its outer brackets fails every element, and this says why.
      .refine((rings) => rings.length === 1, {
        error: (issue) => ringCountMessage(issue.input),
        when: (payload) => Array.isArray(payload.value),
      })
      .meta({ minItems: 1, maxItems: 1 })
      .describe("One closed linear ring (RFC 7946); holes are not supported."),
    // RFC 7946 §5 allows a bbox member on any GeoJSON object, of length 2n for n dimensions. One
    // of that shape is accepted and ignored (the ring defines the area); any other is refused, as
    // a client that sends it has most likely made a mistake worth hearing about.
    bbox: z
      .array(z.number())
      .refine((b) => b.length === 4 || b.length === 6, {
        error: (issue) =>
          `a Polygon's bbox member must be 4 numbers [west, south, east, north] or 6 with altitudes (RFC 7946 §5)${Array.isArray(issue.input) ? `, got ${issue.input.length} items` : ""}; it may be left out`,
      })
      .meta({
        anyOf: [
          { minItems: 4, maxItems: 4 },
          { minItems: 6, maxItems: 6 },
        ],
      })
      .describe("Optional (RFC 7946 §5): 4 or 6 numbers; accepted and ignored, the ring defines the area.")
      .optional(),
  })
  .meta({
    id: "PolygonArea",
    description:
      "A GeoJSON Polygon geometry (RFC 7946) with one closed exterior ring, not self-intersecting and not crossing the antimeridian, enclosing at least 100 m².",
  });

const AREA_SHAPES = '{"type":"bbox","bbox":[west,south,east,north]} or a GeoJSON Polygon';

/** What an area of the wrong type most likely meant, said in the error. */
function areaTypeMessage(input: unknown): string {
  const type = input && typeof input === "object" ? (input as { type?: unknown }).type : undefined;
  const expected = 'area.type must be "bbox" or "Polygon"';
  if (type === "MultiPolygon")
    return `${expected}: a MultiPolygon is not supported; send each polygon as its own request`;
  if (type === "Feature" || type === "FeatureCollection")
    return `${expected}: send the Polygon geometry itself, not a ${type}`;
  return typeof type === "string" ? `${expected}, got "${type.slice(0, 40)}"` : expected;
}

export const AreaSchema = z
  .discriminatedUnion("type", [BboxAreaSchema, PolygonAreaSchema], {
    error: (issue) =>
      issue.input === undefined
        ? `area is required: ${AREA_SHAPES}`
        : issue.input === null || typeof issue.input !== "object" || Array.isArray(issue.input)
          ? `area must be an object: ${AREA_SHAPES}`
          : issue.code === "invalid_union"
            ? areaTypeMessage(issue.input)
            : undefined,
  })
  .meta({
    id: "Area",
    description: 'The area to analyse: {"type":"bbox","bbox":[w,s,e,n]} or a GeoJSON Polygon geometry.',
  });

const AnalysisRequestObject = z.strictObject({
  area: AreaSchema,
  resolution_m: z
    .number()
    .min(LIMITS.minResolutionM)
    .max(LIMITS.maxResolutionM)
    .optional()
    .describe(
      `Wanted ground resolution in metres per pixel (default ${LIMITS.defaultResolutionM}), honoured to the millimetre inside the model's trained range; the response reports the real one. The model analyses nothing outside that range (0.08–0.35 m/px for lanesegnet-lite 0.3.0): a coarser request is analysed, and its area limits applied, at the coarsest, a finer one at the finest.`,
    ),
  classes: z
    .array(MarkingClassNameSchema)
    .min(1)
    .max(MARKING_CLASS_NAMES.length)
    .refine(unique, { error: "classes must not repeat" })
    .meta({ uniqueItems: true })
    .optional()
    .describe("Only return these classes (default: all)."),
  providers: ProviderPreferenceSchema.optional().describe(
    "Imagery providers to try, in order of preference (default: the server's order).",
  ),
  min_confidence: z
    .number()
    .min(0)
    .max(1)
    .optional()
    .describe(
      "Drop features whose confidence, as reported, is below this (default: the server's threshold), honoured to 0.001.",
    ),
});

/** The request schema, with the area limits applied at the resolution that will be analysed. */
export function analysisRequestSchema(options: AnalysisLimitOptions = {}) {
  return AnalysisRequestObject.superRefine((req, ctx) => {
    for (const issue of areaIssuesAsAnalysed(req.area, req.resolution_m, options)) {
      ctx.addIssue({
        code: "custom",
        path: [...issue.segments],
        message: issue.message,
        params: { area: issue.code },
      });
    }
  });
}

export const AnalysisRequestSchema = analysisRequestSchema().meta({
  id: "AnalysisRequest",
  description: "Find lane markings in aerial imagery of an area.",
  example: { area: { type: "bbox", bbox: [-121.496, 38.58, -121.493, 38.5824] }, resolution_m: 0.25 },
});

export type BboxArea = z.infer<typeof BboxAreaSchema>;
export type PolygonArea = z.infer<typeof PolygonAreaSchema>;
export type Area = z.infer<typeof AreaSchema>;
export type AnalysisRequest = z.infer<typeof AnalysisRequestSchema>;

/** A request with every default filled in: what the backend runs and what the cache key hashes. */
export interface ResolvedAnalysisRequest {
  readonly area: Area;
  readonly resolution_m: number;
  /** Sorted by class id; all marking classes when the request named none. */
  readonly classes: readonly MarkingClassName[];
  /** In preference order. */
  readonly providers: readonly ImageryProviderName[];
  readonly min_confidence: number;
}

export interface RequestDefaults {
  /** The server's provider order when a request gives none. */
  readonly providers: readonly ImageryProviderName[];
  /** The server's confidence threshold when a request gives none. */
  readonly minConfidence: number;
  /**
   * The model's coarsest analysed resolution (AnalysisLimitOptions): a coarser request resolves to
   * it, so requests at 0.5, 1 and 2 m/px, which the backend would all analyse there, are one
   * analysis with one cache key.
   */
  readonly coarsestAnalysedM?: number;
  /** The model's finest analysed resolution: a finer request resolves to it (one analysis, one key). */
  readonly finestAnalysedM?: number;
}

export function resolveAnalysisRequest(
  req: AnalysisRequest,
  defaults: RequestDefaults,
): ResolvedAnalysisRequest {
  const wanted = new Set<string>(req.classes ?? MARKING_CLASS_NAMES);
  return {
    area: req.area,
    resolution_m: analysedResolutionM(
      canonicalResolutionM(req.resolution_m ?? LIMITS.defaultResolutionM),
      defaults,
    ),
    classes: MARKING_CLASS_NAMES.filter((n) => wanted.has(n)),
    providers: [...(req.providers ?? defaults.providers)],
    min_confidence: canonicalConfidence(req.min_confidence ?? defaults.minConfidence),
  };
}
