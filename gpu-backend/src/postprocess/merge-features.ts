/**
 * Duplicate merging for GeoJSON lane features, e.g. lines vectorised from overlapping tiles or
 * neighbouring analyses. Positions are mapped to a local metric frame (equirectangular about the
 * features' mean latitude: exact enough to compare lines within 0.3 m over a few km), merged with
 * the same geometry core as pixel-space lines, and mapped back exactly; length_m is recomputed
 * geodesically and width/confidence are length-weighted means.
 */
import { type LaneFeature, WGS84_A } from "@lanesegnet/shared";
import { combineDash, type GeometryMerge, mergeAll } from "./merge.js";
import { DEFAULT_PARAMS } from "./params.js";
import { plain } from "./polyline.js";
import { geodesicLength, type LineLengthFn } from "./to-geojson.js";
import type { DashMeasure, Polyline, Pt } from "./types.js";

export interface MergeFeaturesOptions {
  toleranceM?: number;
  minOverlap?: number;
  minSeamOverlapM?: number;
  lengthFn?: LineLengthFn;
}

interface Item {
  classId: number;
  line: Polyline;
  feature: LaneFeature;
}

export function mergeDuplicateFeatures(
  features: readonly LaneFeature[],
  opts: MergeFeaturesOptions = {},
): LaneFeature[] {
  if (features.length < 2) return features.slice();
  let latSum = 0;
  let lonSum = 0;
  let n = 0;
  for (const f of features) {
    for (const [lon, lat] of f.geometry.coordinates) {
      lonSum += lon;
      latSum += lat;
      n++;
    }
  }
  const lon0 = lonSum / n;
  const lat0 = latSum / n;
  const ky = (Math.PI / 180) * WGS84_A;
  const kx = ky * Math.cos((lat0 * Math.PI) / 180);
  const toLocal = (p: readonly number[]): Pt => [(p[0]! - lon0) * kx, (p[1]! - lat0) * ky];
  const toLonLat = (p: Pt): [number, number] => [p[0] / kx + lon0, p[1] / ky + lat0];
  const lengthFn = opts.lengthFn ?? geodesicLength;

  const items: Item[] = features.map((f) => ({
    classId: f.properties.class_id,
    line: plain(f.geometry.coordinates.map(toLocal)),
    feature: f,
  }));
  const merged = mergeAll(
    items,
    {
      tolerance: opts.toleranceM ?? DEFAULT_PARAMS.duplicateToleranceM,
      minOverlap: opts.minOverlap ?? DEFAULT_PARAMS.duplicateMinOverlap,
      minSeamOverlap: opts.minSeamOverlapM ?? 1,
    },
    (a, b, m) => combineItems(a, b, m, toLonLat, lengthFn),
  );
  return merged.map((it) => it.feature);
}

function combineItems(
  a: Item,
  b: Item,
  m: GeometryMerge,
  toLonLat: (p: Pt) => [number, number],
  lengthFn: LineLengthFn,
): Item {
  const coordinates = m.line.pts.map(toLonLat);
  const pa = a.feature.properties;
  const pb = b.feature.properties;
  const wa = pa.length_m;
  const wb = pb.length_m;
  const w = wa + wb || 1;
  const properties: LaneFeature["properties"] = {
    ...pa,
    length_m: Math.round(lengthFn(coordinates) * 100) / 100,
    width_m: Math.round(((pa.width_m * wa + pb.width_m * wb) / w) * 1000) / 1000,
    confidence: Math.round(((pa.confidence * wa + pb.confidence * wb) / w) * 1000) / 1000,
    // As merge.ts: either copy measuring the paint makes the union's width a measurement.
    width_resolved: pa.width_resolved || pb.width_resolved,
  };
  const dash = combineDash(toMeasure(pa.dash), toMeasure(pb.dash), m, m.overlap);
  if (dash) {
    properties.dash = {
      count: dash.count,
      mean_dash_m: Math.round(dash.meanDashM * 100) / 100,
      mean_gap_m: Math.round(dash.meanGapM * 100) / 100,
    };
  } else {
    delete properties.dash;
  }
  return {
    classId: a.classId,
    line: m.line,
    feature: { ...a.feature, geometry: { type: "LineString", coordinates }, properties },
  };
}

function toMeasure(d: LaneFeature["properties"]["dash"]): DashMeasure | null {
  if (!d) return null;
  return {
    count: d.count,
    meanDashM: d.mean_dash_m,
    meanGapM: d.mean_gap_m,
    medianDashM: d.mean_dash_m,
    medianGapM: d.mean_gap_m,
    gapCount: Math.max(1, d.count - 1),
    dashesPx: [],
  };
}
