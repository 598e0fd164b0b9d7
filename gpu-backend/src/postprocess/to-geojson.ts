/**
 * Measured pixel-space lines to GeoJSON: pixel -> lon/lat through the raster's Mercator
 * geotransform, geodesic length on WGS84 (shared polylineLength, Karney via geographiclib), and
 * the feature properties of the API contract (shared LaneFeatureSchema).
 */
import {
  canonicalConfidence,
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
  /** Prefix of feature ids (ids are `${prefix}${index}`, 1 to the number of features). */
  idPrefix?: string;
  /**
   * Drop features whose confidence, as reported (rounded), is below this: the request's
   * min_confidence, judged on the value the client reads, after smoothing and clipping have
   * measured each line for the last time.
   */
  minConfidence?: number;
}

export interface LaneFeatureCollection {
  type: "FeatureCollection";
  features: LaneFeature[];
}

/** The line as a feature; null when its positions round to fewer than two distinct ones. */
export function lineToFeature(
  line: MeasuredLine,
  grid: MercatorGrid,
  id: string,
  opts: ToGeoJsonOptions = {},
): LaneFeature | null {
  const f = 10 ** (opts.coordDecimals ?? 8);
  const coordinates: [number, number][] = [];
  for (const [x, y] of line.line.pts) {
    const [lon, lat] = pixelToLonLat(grid, x, y);
    const p: [number, number] = [Math.round(lon * f) / f, Math.round(lat * f) / f];
    const last = coordinates[coordinates.length - 1];
    // Points that round to the same position (a clip cut next to a vertex) would repeat it, which
    // GIS validators flag.
    if (!last || last[0] !== p[0] || last[1] !== p[1]) coordinates.push(p);
  }
  if (coordinates.length < 2) return null;
  const cls = laneClassById(line.classId);
  const lengthFn = opts.lengthFn ?? geodesicLength;
  const properties: LaneFeature["properties"] = {
    id,
    class: cls.name as MarkingClassName,
    class_id: cls.id,
    length_m: round(lengthFn(coordinates), 2),
    width_m: round(Math.max(line.widthM, 0.001), 3),
    width_resolved: line.widthResolved,
    // The precision min_confidence is honoured to: a threshold judges exactly what is reported.
    confidence: canonicalConfidence(line.confidence),
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
  const features: LaneFeature[] = [];
  for (const l of lines) {
    const feature = lineToFeature(l, grid, `${prefix}${features.length + 1}`, opts);
    if (!feature) continue;
    if (opts.minConfidence !== undefined && feature.properties.confidence < opts.minConfidence) continue;
    features.push(feature);
  }
  return { type: "FeatureCollection", features };
}

function round(v: number, d: number): number {
  const f = 10 ** d;
  return Math.round(v * f) / f;
}
