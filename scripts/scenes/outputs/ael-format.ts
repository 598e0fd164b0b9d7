/**
 * The AEL annotation / sidecar format (see ../shared/data/ael/README.md): region in EPSG:3857,
 * resolution [width, height], meters_per_pixel in Mercator units, lanes with (single, white,
 * solid) and pixel vertices.
 *
 * Vertex convention (a documented choice): AEL vertices are pixel-centre coordinates, so a vertex
 * (vx, vy) is the continuous pixel point (vx + 0.5, vy + 0.5), i.e. Mercator
 * x = minX + (vx + 0.5) * res, y = maxY - (vy + 0.5) * res. Our sidecars write vertices with two
 * decimals (the real data has integers) so round trips keep centimetres.
 */
import {
  aelAttributesFromClass,
  classFromAelAttributes,
  gridBoundsMercator,
  groundResolution,
  type MercatorGrid,
  mercatorToLonLat,
  SidecarFootprintSchema,
} from "@lanesegnet/shared";
import { z } from "zod";

export const AelLaneSchema = z.object({
  road_id: z.string().optional(),
  lane_id: z.string().optional(),
  single: z.boolean(),
  white: z.boolean(),
  solid: z.boolean(),
  vertices: z.array(z.tuple([z.number(), z.number()])),
});

/** A whole annotation: the store's sidecar footprint (shared, as the backend reads it) plus lanes. */
export const AelAnnotationSchema = SidecarFootprintSchema.extend({ lanes: z.array(AelLaneSchema) });

export type AelLane = z.infer<typeof AelLaneSchema>;
export type AelAnnotation = z.infer<typeof AelAnnotationSchema>;

/** Continuous pixel coordinate of an AEL vertex. */
export const AEL_VERTEX_OFFSET = 0.5;

export function aelGrid(a: AelAnnotation): MercatorGrid {
  const [minX, minY, maxX, maxY] = a.region;
  const [width, height] = a.resolution;
  // The README defines meters_per_pixel = (maxX - minX) / width; trust the region.
  void minY;
  return { originX: minX, originY: maxY, resolution: (maxX - minX) / width, width, height };
}

export function aelCentreLat(a: AelAnnotation): number {
  const [minX, minY, maxX, maxY] = a.region;
  return mercatorToLonLat((minX + maxX) / 2, (minY + maxY) / 2)[1];
}

/** Ground metres per pixel at the image centre (Mercator resolution x cos(latitude)). */
export function aelGroundGsd(a: AelAnnotation): number {
  return groundResolution(aelGrid(a).resolution, aelCentreLat(a));
}

export function aelLaneClass(l: AelLane): number {
  return classFromAelAttributes(l.single, l.white, l.solid);
}

/** Lane vertices as continuous pixel points. */
export function aelLanePixels(l: AelLane): [number, number][] {
  return l.vertices.map(([x, y]) => [x + AEL_VERTEX_OFFSET, y + AEL_VERTEX_OFFSET]);
}

/** Build an AEL sidecar for an image on a Mercator grid with lanes in continuous pixels. */
export function makeSidecar(
  grid: MercatorGrid,
  lanes: readonly { classId: number; points: readonly (readonly [number, number])[] }[],
): AelAnnotation {
  const r2 = (v: number) => Math.round(v * 100) / 100;
  return {
    coordinates_type: "EPSG:3857",
    region: [...gridBoundsMercator(grid)],
    resolution: [grid.width, grid.height],
    meters_per_pixel: grid.resolution,
    lanes: lanes.map((l, i) => ({
      road_id: String(Math.floor(i / 100)).padStart(8, "0"),
      lane_id: String(i).padStart(8, "0"),
      ...aelAttributesFromClass(l.classId),
      vertices: l.points.map(
        ([x, y]) => [r2(x - AEL_VERTEX_OFFSET), r2(y - AEL_VERTEX_OFFSET)] as [number, number],
      ),
    })),
  };
}
