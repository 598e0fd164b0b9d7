import { z } from "zod";
import { MERCATOR_HALF_WORLD_M } from "../geo/mercator.js";
import type { MercatorBbox } from "../geo/tiles.js";

/**
 * The footprint part of an AEL sidecar (`<id>.json` of a local imagery store; format in
 * ../shared/data/ael/README.md). `lanes` and any other keys are not looked at here.
 */
export const SidecarFootprintSchema = z.object({
  coordinates_type: z.literal("EPSG:3857").optional(),
  region: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  resolution: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  meters_per_pixel: z.number().positive(),
});

export interface SidecarFootprint {
  readonly footprint: MercatorBbox;
  readonly width: number;
  readonly height: number;
  readonly mercatorResolution: number;
}

/** A sidecar that is not a valid AEL footprint; the message lists every problem. */
export class SidecarError extends Error {
  override readonly name = "SidecarError";
}

/**
 * `meters_per_pixel` must agree with region / resolution on both axes (square pixels) to this
 * relative tolerance; the AEL files agree to 1e-11, so 0.5 % only lets rounding through and still
 * catches a swapped width/height or a region in degrees.
 */
export const SIDECAR_RESOLUTION_TOLERANCE = 0.005;

/** Validate a parsed sidecar and return its footprint. Throws SidecarError. */
export function parseSidecarFootprint(json: unknown): SidecarFootprint {
  const parsed = SidecarFootprintSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    throw new SidecarError(issues.join("; "));
  }
  const { region, resolution, meters_per_pixel: mpp } = parsed.data;
  const [x0, y0, x1, y1] = region;
  const [w, h] = resolution;
  const problems: string[] = [];
  if (!(x0 < x1 && y0 < y1)) problems.push(`region must be [minX, minY, maxX, maxY] with min < max`);
  if (region.some((v) => Math.abs(v) > MERCATOR_HALF_WORLD_M + 1e-3)) {
    problems.push("region lies outside the EPSG:3857 world (degrees instead of metres?)");
  }
  if (problems.length === 0) {
    for (const [axis, span, px] of [
      ["x", x1 - x0, w],
      ["y", y1 - y0, h],
    ] as const) {
      const derived = span / px;
      if (Math.abs(derived / mpp - 1) > SIDECAR_RESOLUTION_TOLERANCE) {
        problems.push(
          `meters_per_pixel ${mpp} disagrees with region/resolution on ${axis} (${derived.toPrecision(6)})`,
        );
      }
    }
  }
  if (problems.length > 0) throw new SidecarError(problems.join("; "));
  return { footprint: [x0, y0, x1, y1], width: w, height: h, mercatorResolution: mpp };
}
