/**
 * Measured pixel-space lines to GeoJSON: pixel -> lon/lat through the raster's Mercator
 * geotransform, geodesic length on WGS84 (shared polylineLength, Karney via geographiclib), and
 * the feature properties of the API contract (shared LaneFeatureSchema).
 */
import {
  type LaneFeature,
  laneClassById,
  type MarkingClassName,
  type MercatorGrid,
  pixelToLonLat,
  polylineLength,
} from "@lanesegnet/shared";
import type { MeasuredLine } from "./types.js";

/** Geodesic length in metres of a lon/lat polyline. */
export type LineLengthFn = (coords: readonly (readonly [number, number])[]) => number;

export const geodesicLength: LineLengthFn = (coords) => polylineLength(coords);

export interface ToGeoJsonOptions {
  lengthFn?: LineLengthFn;
  /** Decimal places of lon/lat (8 ≈ 1 mm). */
  coordDecimals?: number;
  /** Prefix of feature ids (ids are `${prefix}${index}`). */
  idPrefix?: string;
}

export interface LaneFeatureCollection {
  type: "FeatureCollection";
  features: LaneFeature[];
}

export function lineToFeature(
  line: MeasuredLine,
  grid: MercatorGrid,
  id: string,
  opts: ToGeoJsonOptions = {},
): LaneFeature {
  const f = 10 ** (opts.coordDecimals ?? 8);
  const coordinates = line.line.pts.map(([x, y]) => {
    const [lon, lat] = pixelToLonLat(grid, x, y);
    return [Math.round(lon * f) / f, Math.round(lat * f) / f] as [number, number];
  });
  const cls = laneClassById(line.classId);
  const lengthFn = opts.lengthFn ?? geodesicLength;
  const properties: LaneFeature["properties"] = {
    id,
    class: cls.name as MarkingClassName,
    class_id: cls.id,
    length_m: round(lengthFn(coordinates), 2),
    width_m: round(Math.max(line.widthM, 0.001), 3),
    width_resolved: line.widthResolved,
    confidence: round(line.confidence, 3),
    dashed: cls.dashed,
  };
  if (cls.dashed && line.dash && line.dash.gapCount > 0) {
    properties.dash = {
      count: line.dash.count,
      mean_dash_m: round(line.dash.meanDashM, 2),
      mean_gap_m: round(line.dash.meanGapM, 2),
    };
  }
  return { type: "Feature", id, geometry: { type: "LineString", coordinates }, properties };
}

export function toFeatureCollection(
  lines: readonly MeasuredLine[],
  grid: MercatorGrid,
  opts: ToGeoJsonOptions = {},
): LaneFeatureCollection {
  const prefix = opts.idPrefix ?? "lane-";
  return {
    type: "FeatureCollection",
    features: lines.map((l, i) => lineToFeature(l, grid, `${prefix}${i + 1}`, opts)),
  };
}

function round(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}
