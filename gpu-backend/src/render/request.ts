/**
 * The render request the edge sends (signed) to POST /internal/v1/render: which picture of an
 * analysed area to draw. The imagery is fetched again from the provider that served the analysis,
 * onto the same Web Mercator grid rule (targetGrid), so the picture lines up with the result.
 */
import {
  ClassTotalsSchema,
  ImageryProviderSchema,
  LIMITS,
  MarkingClassNameSchema,
  validateArea,
} from "@lanesegnet/shared";
import { z } from "zod";

/** Longest side of a rendered PNG unless the request asks for less (keeps PNGs cacheable). */
export const DEFAULT_MAX_SIZE_PX = 2048;
/** Bounds of the work one overlay may ask for (the edge sends a stored result's lines). */
export const MAX_LINES = 20_000;
export const MAX_VERTICES_PER_LINE = 10_000;

const Lon = z.number().min(-180).max(180);
const Lat = z.number().min(-90).max(90);

export const RenderLineSchema = z.strictObject({
  class_id: z.int().min(1).max(6),
  coordinates: z
    .array(z.tuple([Lon, Lat]))
    .min(2)
    .max(MAX_VERTICES_PER_LINE),
});

export const RenderRequestSchema = z
  .strictObject({
    /** imagery: the analysed imagery alone; overlay: with the markings, a legend and attribution. */
    kind: z.enum(["imagery", "overlay"]),
    /** [west, south, east, north]: the analysed area's bbox (the grid's origin is its top-left). */
    bbox: z.tuple([Lon, Lat, Lon, Lat]),
    resolution_m: z.number().min(LIMITS.minResolutionM).max(LIMITS.maxResolutionM),
    provider: ImageryProviderSchema,
    max_size_px: z.int().min(64).max(4096).optional(),
    lines: z.array(RenderLineSchema).max(MAX_LINES).optional(),
    totals: z.partialRecord(MarkingClassNameSchema, ClassTotalsSchema).optional(),
    /** One line of text under the legend, e.g. the analysis id and model (overlay only). */
    caption: z.string().max(300).optional(),
    /** The analysed polygon's closed ring, when the area was a polygon (overlay only). */
    area: z
      .array(z.tuple([Lon, Lat]))
      .min(4)
      .max(LIMITS.maxPolygonVertices + 1)
      .optional(),
  })
  .superRefine((req, ctx) => {
    const area = validateArea({ type: "bbox", bbox: req.bbox }, { resolutionM: req.resolution_m });
    if (area.ok) return;
    for (const issue of area.issues) {
      ctx.addIssue({ code: "custom", path: [...issue.segments], message: issue.message });
    }
  });

export type RenderRequest = z.infer<typeof RenderRequestSchema>;
export type RenderLine = z.infer<typeof RenderLineSchema>;
