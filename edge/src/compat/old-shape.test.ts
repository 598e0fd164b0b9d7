import {
  type AnalysisResponse,
  gridForBbox,
  LIMITS,
  type LonLatBbox,
  laneClassById,
  pixelToLonLat,
} from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { toOldResponse } from "./old-shape.js";
import { OldQuerySchema, oldFieldPath, toAnalysisRequest, validateOldRequest } from "./request.js";

const bbox: LonLatBbox = [-121.496, 38.58, -121.493, 38.5824];
const bounds = { west: bbox[0], south: bbox[1], east: bbox[2], north: bbox[3] };
const grid = gridForBbox(bbox, 0.25);

function feature(
  id: string,
  class_id: 1 | 2,
  px: [number, number][],
  length_m: number,
  width_resolved?: boolean,
) {
  const name = class_id === 1 ? ("single_white_solid" as const) : ("single_white_dashed" as const);
  return {
    type: "Feature" as const,
    id,
    geometry: { type: "LineString" as const, coordinates: px.map(([x, y]) => pixelToLonLat(grid, x, y)) },
    properties: {
      id,
      class: name,
      class_id,
      length_m,
      width_m: 0.2,
      ...(width_resolved === undefined ? {} : { width_resolved }),
      confidence: 0.8,
      dashed: class_id === 2,
    },
  };
}

const result: AnalysisResponse = {
  type: "FeatureCollection",
  bbox: [...bbox],
  features: [
    feature(
      "f1",
      1,
      [
        [10, 20],
        [40, 60],
      ],
      12.5,
    ),
    feature(
      "f2",
      2,
      [
        [100.5, 100.5],
        [100.5, 200.5],
        [200.5, 200.5],
      ],
      50,
      true,
    ),
    feature(
      "f3",
      1,
      [
        [300.5, 10.5],
        [300.5, 110.5],
      ],
      25,
      false,
    ),
  ],
  analysis: {
    id: "a".repeat(64),
    model: { name: "lanesegnet-lite", version: "1" },
    imagery: { provider: "local", attribution: "Local imagery store", resolution_m: 0.25 },
    area_m2: 69_000,
    totals: {
      single_white_solid: { count: 2, length_m: 37.5 },
      single_white_dashed: { count: 1, length_m: 50 },
      single_yellow_solid: { count: 0, length_m: 0 },
    },
    cache: "MISS",
    providers_tried: [{ provider: "local", outcome: "used" }],
    created_at: "2026-11-26T06:00:00.000Z",
  },
};

describe("toOldResponse", () => {
  const old = toOldResponse(result, {
    bounds,
    analysisType: "lane_markings",
    minConfidence: 0.5,
    processingTimeMs: 12.345,
    cache: "HIT",
  });

  it("keeps the real lengths and puts points on the analysed raster's pixels", () => {
    const [a, b] = old.infrastructure_elements;
    expect(a!.length_meters).toBe(12.5);
    expect(a!.points).toEqual([
      [10, 20],
      [40, 60],
    ]);
    expect(a!.length_pixels).toBe(50);
    expect(a!.area_sqm).toBe(2.5);
    // 50 px long x 0.2 m / 0.25 m per px wide.
    expect(a!.area_pixels).toBe(40);
    expect(a!.geographic_points[0]).toEqual({
      latitude: result.features[0]!.geometry.coordinates[0]![1],
      longitude: result.features[0]!.geometry.coordinates[0]![0],
    });
    expect(b!.length_pixels).toBe(200);
    expect(b!.class_id).toBe(2);
    expect(b!.condition).toBeNull();
    expect(b!.width_meters).toBe(0.2);
    expect(b!.width_source).toBe("measured");
  });

  it("uses the class's standard width where /v1 says the measured one is only an upper bound", () => {
    const c = old.infrastructure_elements[2]!;
    expect(c.length_meters).toBe(25);
    expect(c.width_source).toBe("standard");
    // Not the 0.2 m bound: the registry's single-line width.
    expect(c.width_meters).toBe(laneClassById(1).labelWidthM);
    expect(c.width_meters).not.toBe(0.2);
    expect(c.area_sqm).toBeCloseTo(25 * c.width_meters, 2);
    // 100 px long x the width in pixels at 0.25 m/px.
    expect(c.area_pixels).toBeCloseTo(100 * (c.width_meters / 0.25), 1);
  });

  it("never reports a standard width wider than the bound /v1 measured", () => {
    const narrow = structuredClone(result);
    const f = narrow.features[2]!;
    Object.assign(f.properties, { class: "double_yellow_solid", class_id: 6, width_m: 0.297 });
    const [, , c] = toOldResponse(narrow, {
      bounds,
      analysisType: "lane_markings",
      minConfidence: 0.5,
      processingTimeMs: 1,
      cache: "MISS",
    }).infrastructure_elements;
    expect(laneClassById(6).labelWidthM).toBeGreaterThan(0.297);
    expect(c!.width_meters).toBe(0.297);
    expect(c!.width_source).toBe("standard");
  });

  it("summarises like the old service, with honest nulls", () => {
    expect(old.analysis_summary).toEqual({
      total_elements: 3,
      elements_by_type: { lane_marking: 3 },
      elements_by_class: { single_white_solid: 2, single_white_dashed: 1 },
      total_road_area_sqm: null,
      total_lane_length_m: 87.5,
      length_by_class_m: { single_white_solid: 37.5, single_white_dashed: 50 },
    });
    expect(old.image_metadata).toMatchObject({
      width: grid.width,
      height: grid.height,
      resolution_mpp: 0.25,
      bounds,
      acquisition_date: null,
      source: "local",
    });
    expect(old.processing_time_ms).toBe(12.3);
    expect(old.coverage_percentage).toBeNull();
    expect(old.analysis_type).toBe("lane_markings");
    expect(old.links.overlay).toBe(`/v1/analyses/${"a".repeat(64)}/overlay.png`);
  });
});

describe("the old request", () => {
  it("says the resolution query must be one number (not NaN, for text or a repeated parameter)", () => {
    for (const resolution of ["abc", ["0.1", "0.2"]]) {
      const q = OldQuerySchema.safeParse({ resolution });
      expect(q.success).toBe(false);
      expect(q.error?.issues.map((i) => i.message)).toEqual([
        "resolution must be one number, in metres per pixel",
      ]);
    }
    expect(OldQuerySchema.parse({ resolution: "0.2" }).resolution).toBe(0.2);
  });

  it("reads visualize as the old service did: true or 1 for the picture, false, 0 or absent for JSON", () => {
    const visualize = (v?: string) => OldQuerySchema.parse(v === undefined ? {} : { visualize: v }).visualize;
    expect(["true", "1", "false", "0", undefined].map(visualize)).toEqual([true, true, false, false, false]);
    expect(OldQuerySchema.safeParse({ visualize: "yes" }).success).toBe(false);
  });

  it("names the range when the resolution is a number outside it", () => {
    const message = (resolution: string) =>
      OldQuerySchema.safeParse({ resolution }).error?.issues.map((i) => i.message);
    expect(message("2.5")).toEqual([`resolution must be at most ${LIMITS.maxResolutionM} m/px`]);
    for (const low of ["0.04", "0", "-1"]) {
      expect(message(low)).toEqual([`resolution must be at least ${LIMITS.minResolutionM} m/px`]);
    }
  });

  it("calls an empty or blank resolution what it is, not a number below the range", () => {
    for (const empty of ["", " "]) {
      expect(OldQuerySchema.safeParse({ resolution: empty }).error?.issues.map((i) => i.message)).toEqual([
        "resolution must be one number, in metres per pixel",
      ]);
    }
  });

  it("maps bounds to a /v1 bbox [west, south, east, north]", () => {
    expect(toAnalysisRequest(bounds, 0.1)).toEqual({ area: { type: "bbox", bbox }, resolution_m: 0.1 });
  });

  it("reports errors in the old request's terms", () => {
    const inverted = validateOldRequest({ ...bounds, north: 38.57 }, 0.25);
    expect(inverted.ok).toBe(false);
    if (!inverted.ok) {
      expect(inverted.errors[0]!.message).toMatch(/south .* must be less than north/);
      expect(inverted.errors[0]!.path).toBe("");
    }
    const badLon = validateOldRequest({ ...bounds, east: 200 }, 0.25);
    expect(!badLon.ok && badLon.errors.map((e) => e.path)).toContain("/east");
    expect(oldFieldPath("/area/bbox/0")).toBe("/west");
    expect(oldFieldPath("/resolution_m")).toBe("/resolution");
    expect(validateOldRequest(bounds, 0.25).ok).toBe(true);
    // Messages name the old request's parameters, not /v1's.
    const swapped = validateOldRequest({ ...bounds, east: bounds.west, west: bounds.east }, 0.25);
    expect(!swapped.ok && swapped.errors[0]!.message).toMatch(/^west \(.*\) is greater than east \(.*\)$/);
    const large = validateOldRequest({ north: 38.59, south: 38.57, east: -121.48, west: -121.51 }, 0.1);
    expect(large.ok).toBe(false);
    if (!large.ok) {
      expect(large.errors[0]!.message).toMatch(/use a coarser resolution or a smaller area$/);
      expect(large.errors[0]!.message).not.toMatch(/resolution_m/);
    }
  });
});
