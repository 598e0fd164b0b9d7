import { type AnalysisResponse, gridBoundsLonLat, gridForBbox, type LonLatBbox } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { pictureGrid, renderBodyOf } from "./from-result.js";
import { decodePicture, encodePicture, pictureEtag } from "./store.js";

const bbox: LonLatBbox = [-121.496, 38.58, -121.493, 38.5824];

const result = {
  type: "FeatureCollection",
  bbox: [...bbox],
  features: [
    {
      type: "Feature",
      id: "f1",
      geometry: {
        type: "LineString",
        coordinates: [
          [-121.4955, 38.5805],
          [-121.4935, 38.582],
        ],
      },
      properties: {
        id: "f1",
        class: "single_yellow_solid",
        class_id: 3,
        length_m: 240.1,
        width_m: 0.15,
        confidence: 0.9,
        dashed: false,
      },
    },
  ],
  analysis: {
    id: "b".repeat(64),
    model: { name: "m", version: "2" },
    imagery: { provider: "local", attribution: "Local imagery store", resolution_m: 0.3 },
    area_m2: 1,
    totals: { single_yellow_solid: { count: 1, length_m: 240.1 } },
    cache: "HIT",
    providers_tried: [],
    created_at: "2026-11-26T06:00:00.000Z",
  },
} as unknown as AnalysisResponse;

describe("what to draw for a stored result", () => {
  it("asks for the analysed provider and resolution; overlays carry lines, totals and a caption", () => {
    expect(renderBodyOf("imagery", result, result.analysis.id)).toEqual({
      kind: "imagery",
      bbox,
      resolution_m: 0.3,
      provider: "local",
    });
    const overlay = renderBodyOf("overlay", result, result.analysis.id)!;
    expect(overlay.lines).toEqual([{ class_id: 3, coordinates: result.features[0]!.geometry.coordinates }]);
    expect(overlay.totals).toEqual(result.analysis.totals);
    expect(overlay.caption).toBe("analysis bbbbbbbbbbbb · m 2 · 2026-11-26");
    expect(renderBodyOf("overlay", { ...result, bbox: undefined } as never, "x")).toBeNull();
    expect(overlay.area).toBeUndefined();
  });

  it("outlines a polygon area on the overlay, without altitudes", () => {
    const ring = [
      [-121.496, 38.58, 12],
      [-121.493, 38.58, 12],
      [-121.4945, 38.5824, 12],
      [-121.496, 38.58, 12],
    ];
    const polygon = {
      ...result,
      analysis: {
        ...result.analysis,
        request: {
          area: { type: "Polygon", coordinates: [ring] },
          resolution_m: 0.3,
          classes: ["single_yellow_solid"],
          providers: ["local"],
          min_confidence: 0.5,
        },
      },
    } as unknown as AnalysisResponse;
    expect(renderBodyOf("overlay", polygon, "x")!.area).toEqual(ring.map(([lon, lat]) => [lon, lat]));
    expect(renderBodyOf("imagery", polygon, "x")).not.toHaveProperty("area");
  });

  it("places the picture at its grid: the area's north-west corner, reaching at most a pixel past", () => {
    const { grid, extent } = pictureGrid(result)!;
    expect(grid).toEqual(gridForBbox(bbox, 0.3));
    expect(extent[0]).toBeCloseTo(bbox[0], 9);
    expect(extent[3]).toBeCloseTo(bbox[3], 9);
    expect(extent[2]).toBeGreaterThanOrEqual(bbox[2]);
    expect(extent[2] - bbox[2]).toBeLessThan(0.3 / 80_000);
    expect(extent[1]).toBeLessThanOrEqual(bbox[1]);
    expect(gridBoundsLonLat({ ...grid, width: 1, height: 1 })[0]).toBe(extent[0]);
  });
});

describe("cached pictures", () => {
  it("round-trip bytes, ETag and bounds; anything else reads as absent", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 250, 0]);
    const etag = await pictureEtag(png);
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{22}"$/);
    const text = encodePicture({ png, etag, bounds: "1,2,3,4" });
    expect(decodePicture(text)).toEqual({ png, etag, bounds: "1,2,3,4" });
    expect(decodePicture("E1 j x local\n{}")).toBeNull();
    expect(decodePicture("garbage")).toBeNull();
    expect(await pictureEtag(new Uint8Array([1]))).not.toBe(etag);
  });
});
