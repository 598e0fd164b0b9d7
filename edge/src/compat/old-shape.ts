/**
 * A /v1 analysis result in the old service's response shape (RoadInfrastructureResponse), filled
 * with the result's real values — where the old service had none, the field is null rather than
 * invented:
 * - `length_meters` is the feature's geodesic `length_m` (the old service used 2 x vertices);
 * - `points` are pixel coordinates [x, y] of the vertices in the raster `image_metadata` describes:
 *   the Web Mercator grid of the area at `analysis.imagery.resolution_m` (the analysed grid's,
 *   or the imagery's own where that is coarser), origin top-left,
 *   continuous (pixel centres at i + 0.5), i.e. the pixels of GET /v1/analyses/{id}/imagery.png
 *   when that picture is not scaled down;
 * - `length_pixels` is the polyline's length in those pixels, `area_sqm` = length x measured
 *   width, `area_pixels` the same in pixels; where /v1 marks the width an upper bound only
 *   (`width_resolved: false`: the paint is narrower than the imagery resolves), the width is the
 *   class's standard marking width from the registry instead (`width_source: "standard"`; never
 *   more than the bound), not the bound, which made paint areas several times too large;
 * - `total_road_area_sqm`, `condition`, `material` and `coverage_percentage` are null: nothing
 *   measures them.
 */
import {
  type AnalysisResponse,
  gridForBbox,
  type LaneFeature,
  laneClassById,
  lonLatToPixel,
  type MercatorGrid,
  planarLength,
} from "@lanesegnet/shared";
import type { OldBounds } from "./request.js";

export interface OldElement {
  class: string;
  class_id: number;
  infrastructure_type: "lane_marking";
  points: [number, number][];
  geographic_points: { latitude: number; longitude: number }[];
  confidence: number;
  area_pixels: number;
  area_sqm: number;
  length_pixels: number;
  length_meters: number;
  width_meters: number;
  condition: null;
  material: null;
  /** Additions (ignored by old clients): the /v1 feature id, where the width comes from, dash statistics. */
  id: string;
  width_source: "measured" | "standard";
  dashed: boolean;
  dash?: LaneFeature["properties"]["dash"];
}

export interface OldResponse {
  infrastructure_elements: OldElement[];
  analysis_summary: {
    total_elements: number;
    elements_by_type: { lane_marking: number };
    elements_by_class: Record<string, number>;
    total_road_area_sqm: null;
    total_lane_length_m: number;
    length_by_class_m: Record<string, number>;
  };
  image_metadata: {
    width: number;
    height: number;
    resolution_mpp: number;
    bounds: { north: number; south: number; east: number; west: number };
    acquisition_date: string | null;
    source: string;
    attribution: string;
  };
  processing_time_ms: number;
  model_type: string;
  analysis_type: string;
  confidence_threshold: number;
  coverage_percentage: null;
  /** Additions: where the same result lives in the current API. */
  analysis_id: string;
  cache: "HIT" | "MISS";
  links: { analysis: string; imagery: string; overlay: string; successor: string };
}

export interface OldShapeContext {
  readonly bounds: OldBounds;
  readonly analysisType: string;
  readonly minConfidence: number;
  readonly processingTimeMs: number;
  readonly cache: "HIT" | "MISS";
}

const r2 = (v: number) => Math.round(v * 100) / 100;

/** The raster `points` refer to: the area's grid at the imagery's real resolution (imagery.png's). */
export function analysedGrid(result: AnalysisResponse, bounds: OldBounds): MercatorGrid {
  const bbox = result.bbox ?? [bounds.west, bounds.south, bounds.east, bounds.north];
  return gridForBbox(bbox, result.analysis.imagery.resolution_m);
}

export function toOldResponse(result: AnalysisResponse, ctx: OldShapeContext): OldResponse {
  const grid = analysedGrid(result, ctx.bounds);
  const mpp = result.analysis.imagery.resolution_m;
  const elements = result.features.map((f): OldElement => {
    const p = f.properties;
    const exact = f.geometry.coordinates.map(([lon, lat]) => lonLatToPixel(grid, lon, lat));
    const lengthPx = planarLength(exact);
    const measured = p.width_resolved !== false;
    // The standard width, but never more than the bound /v1 measured.
    const widthM = measured ? p.width_m : Math.min(laneClassById(p.class_id).labelWidthM, p.width_m);
    return {
      class: p.class,
      class_id: p.class_id,
      infrastructure_type: "lane_marking",
      points: exact.map(([x, y]) => [r2(x), r2(y)]),
      geographic_points: f.geometry.coordinates.map(([lon, lat]) => ({ latitude: lat, longitude: lon })),
      confidence: p.confidence,
      area_pixels: r2(lengthPx * (widthM / mpp)),
      area_sqm: r2(p.length_m * widthM),
      length_pixels: r2(lengthPx),
      length_meters: p.length_m,
      width_meters: widthM,
      condition: null,
      material: null,
      id: p.id,
      width_source: measured ? "measured" : "standard",
      dashed: p.dashed,
      ...(p.dash ? { dash: p.dash } : {}),
    };
  });
  const byClass: Record<string, number> = {};
  const lengthByClass: Record<string, number> = {};
  let total = 0;
  for (const [name, t] of Object.entries(result.analysis.totals)) {
    if (!t || t.count === 0) continue;
    byClass[name] = t.count;
    lengthByClass[name] = t.length_m;
    total += t.length_m;
  }
  const id = result.analysis.id;
  const { imagery, model } = result.analysis;
  return {
    infrastructure_elements: elements,
    analysis_summary: {
      total_elements: elements.length,
      elements_by_type: { lane_marking: elements.length },
      elements_by_class: byClass,
      total_road_area_sqm: null,
      total_lane_length_m: r2(total),
      length_by_class_m: lengthByClass,
    },
    image_metadata: {
      width: grid.width,
      height: grid.height,
      resolution_mpp: mpp,
      bounds: {
        north: ctx.bounds.north,
        south: ctx.bounds.south,
        east: ctx.bounds.east,
        west: ctx.bounds.west,
      },
      acquisition_date: imagery.captured ?? null,
      source: imagery.provider,
      attribution: imagery.attribution,
    },
    processing_time_ms: Math.round(ctx.processingTimeMs * 10) / 10,
    model_type: `${model.name} ${model.version}`,
    analysis_type: ctx.analysisType,
    confidence_threshold: ctx.minConfidence,
    coverage_percentage: null,
    analysis_id: id,
    cache: ctx.cache,
    links: {
      analysis: `/v1/analyses/${id}`,
      imagery: `/v1/analyses/${id}/imagery.png`,
      overlay: `/v1/analyses/${id}/overlay.png`,
      successor: "/v1/analyses",
    },
  };
}
