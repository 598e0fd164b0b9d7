import {
  gridForBbox,
  LaneFeatureSchema,
  type LonLatBbox,
  type MercatorGrid,
  pixelToLonLat,
} from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { clipRegionFromBbox } from "./clip.js";
import { lanesAt, ROAD_LANES, SCENE_SIZE_M } from "./scenes.js";
import { makeScene } from "./synthetic.js";
import { gridGroundResolution, vectoriseToFeatures } from "./to-features.js";
import { geodesicLength, toFeatureCollection } from "./to-geojson.js";
import type { MeasuredLine, Pt } from "./types.js";

// A 62 m square in Berlin (52.5° N): Mercator metres are 1.64x ground metres here.
const lat0 = 52.5;
const lon0 = 13.4;
const dLat = SCENE_SIZE_M / 111_250;
const dLon = SCENE_SIZE_M / (111_320 * Math.cos((lat0 * Math.PI) / 180));
const bbox: LonLatBbox = [lon0, lat0, lon0 + dLon, lat0 + dLat];

function sceneOn(grid: MercatorGrid, gsd: number) {
  return makeScene(lanesAt(ROAD_LANES, gsd), { width: grid.width, height: grid.height, gsdM: gsd, seed: 3 });
}

describe("GeoJSON output on a Mercator grid", () => {
  const grid = gridForBbox(bbox, 0.15);
  const gsd = gridGroundResolution(grid);
  const { collection, result } = vectoriseToFeatures(sceneOn(grid, gsd), grid);

  it("uses the real ground resolution of the grid (Mercator resolution x cos(lat))", () => {
    expect(gsd).toBeCloseTo(0.15, 3);
    expect(grid.resolution).toBeGreaterThan(0.24);
  });

  it("emits features that satisfy the API schema", () => {
    expect(collection.type).toBe("FeatureCollection");
    expect(collection.features).toHaveLength(ROAD_LANES.length);
    for (const f of collection.features) expect(() => LaneFeatureSchema.parse(f)).not.toThrow();
    expect(new Set(collection.features.map((f) => f.id)).size).toBe(collection.features.length);
  });

  it("places lines in lon/lat where the pixels are", () => {
    collection.features.forEach((f, i) => {
      const pts = result.lines[i]!.line.pts;
      const [lon, lat] = pixelToLonLat(grid, pts[0]![0], pts[0]![1]);
      expect(f.geometry.coordinates[0]![0]).toBeCloseTo(lon, 7);
      expect(f.geometry.coordinates[0]![1]).toBeCloseTo(lat, 7);
      for (const [x, y] of f.geometry.coordinates) {
        expect(x).toBeGreaterThanOrEqual(bbox[0] - 1e-9);
        expect(x).toBeLessThanOrEqual(bbox[2] + 1e-9);
        expect(y).toBeGreaterThanOrEqual(bbox[1] - 1e-9);
        expect(y).toBeLessThanOrEqual(bbox[3] + 1e-9);
      }
    });
  });

  it("reports geodesic lengths within 2 % of the true ground lengths", () => {
    for (const t of ROAD_LANES) {
      const f = collection.features.find((x, i) => {
        const p = result.lines[i]!.line.pts[0]!;
        return x.properties.class_id === t.classId && near(p, t.points, gsd);
      });
      expect(f, t.name).toBeDefined();
      expect(Math.abs(f!.properties.length_m - t.lengthM) / t.lengthM, t.name).toBeLessThan(0.02);
    }
  });

  it("reports width, model confidence and dash statistics", () => {
    for (const f of collection.features) {
      const p = f.properties;
      expect(p.confidence).toBeGreaterThan(0.6);
      expect(p.confidence).toBeLessThan(0.95);
      expect(p.width_m).toBeGreaterThanOrEqual(0.15);
      expect(p.width_m).toBeLessThan(0.7);
      if (p.dashed) {
        expect(p.dash?.count).toBe(4);
        expect(p.dash?.mean_dash_m).toBeCloseTo(3, 0);
        expect(p.dash?.mean_gap_m).toBeCloseTo(9, 0);
      } else {
        expect(p.dash).toBeUndefined();
      }
    }
  });

  it("clips to a requested bbox smaller than the raster", () => {
    const half: LonLatBbox = [lon0, lat0, lon0 + dLon / 2, lat0 + dLat];
    const { collection: clipped } = vectoriseToFeatures(sceneOn(grid, gsd), grid, {
      clip: clipRegionFromBbox(grid, half),
    });
    expect(clipped.features.length).toBeGreaterThan(0);
    for (const f of clipped.features) {
      // Coordinates are rounded to 8 decimals (about 1 mm).
      for (const [x] of f.geometry.coordinates) expect(x).toBeLessThanOrEqual(half[2] + 1e-8);
    }
  });

  it("refuses a grid that does not match the segmentation", () => {
    expect(() => vectoriseToFeatures(sceneOn(grid, gsd), { ...grid, width: grid.width + 1 })).toThrow(
      RangeError,
    );
  });
});

describe("geodesicLength", () => {
  it("measures a meridian arc on WGS84, not on the sphere or in Mercator metres", () => {
    // One arc-minute of latitude at 52.5° N: the meridional radius of curvature there is
    // M = a(1 - e²) / (1 - e² sin²φ)^1.5 = 6 375 676 m, so 1854.62 m (the mean sphere gives 1853.2).
    const l = geodesicLength([
      [13.4, 52.5 - 1 / 120],
      [13.4, 52.5 + 1 / 120],
    ]);
    const e2 = 0.00669437999014;
    const s2 = Math.sin((52.5 * Math.PI) / 180) ** 2;
    const m = (6378137 * (1 - e2)) / (1 - e2 * s2) ** 1.5;
    expect(l).toBeCloseTo((m * Math.PI) / (180 * 60), 1);
  });
});

function near(p: readonly number[], truthM: readonly Pt[], gsd: number): boolean {
  const x = p[0]! * gsd;
  const y = p[1]! * gsd;
  for (let i = 0; i + 1 < truthM.length; i++) {
    const [ax, ay] = truthM[i]!;
    const [bx, by] = truthM[i + 1]!;
    const dx = bx - ax;
    const dy = by - ay;
    const t = Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy || 1)));
    if (Math.hypot(x - ax - t * dx, y - ay - t * dy) <= 0.5) return true;
  }
  return false;
}

describe("positions as the client reads them", () => {
  const grid = gridForBbox(bbox, 0.15);
  const line = (pts: Pt[], confidence = 0.9): MeasuredLine => ({
    classId: 1,
    line: { pts, bridged: [] },
    startKind: "free",
    endKind: "free",
    lengthPx: 0,
    lengthM: 0,
    widthPx: 3,
    widthM: 0.45,
    widthResolved: false,
    confidence,
    dashed: false,
    dash: null,
  });

  it("never repeats a position: points that round to the same one are kept once", () => {
    // 1e-6 px apart: far below the 8-decimal rounding (about 1 mm, here ~0.007 px).
    const { features } = toFeatureCollection(
      [
        line([
          [10, 10],
          [10 + 1e-6, 10],
          [40, 12],
        ]),
      ],
      grid,
    );
    const coords = features[0]!.geometry.coordinates;
    expect(coords).toHaveLength(2);
    expect(coords[0]).not.toEqual(coords[1]);
  });

  it("drops a line whose positions all round to one, and numbers the rest without gaps", () => {
    const { features } = toFeatureCollection(
      [
        line([
          [5, 5],
          [5 + 1e-6, 5],
        ]),
        line([
          [10, 10],
          [40, 12],
        ]),
        line([
          [10, 20],
          [40, 22],
        ]),
      ],
      grid,
    );
    expect(features.map((f) => f.id)).toEqual(["lane-1", "lane-2"]);
  });

  it("rounds positions to 8 decimals and length_m to 2", () => {
    const pts: Pt[] = [
      [10.3, 10.7],
      [25.9, 11.2],
      [40.1, 12.9],
    ];
    const { features } = toFeatureCollection([line(pts)], grid, { lengthFn: () => 12.345678 });
    const f = features[0]!;
    expect(f.geometry.coordinates).toEqual(
      pts.map(([x, y]) => pixelToLonLat(grid, x, y).map((v) => Math.round(v * 1e8) / 1e8)),
    );
    expect(f.properties.length_m).toBe(12.35);
  });

  it("never reports a width of 0: width_m is at least 1 mm, as the schema wants it positive", () => {
    const { features } = toFeatureCollection(
      [
        {
          ...line([
            [10, 10],
            [40, 12],
          ]),
          widthPx: 0,
          widthM: 0,
        },
      ],
      grid,
    );
    expect(features[0]!.properties.width_m).toBe(0.001);
    expect(() => LaneFeatureSchema.parse(features[0])).not.toThrow();
  });

  it("reports dash statistics only where a gap was seen", () => {
    const dashed = (gapCount: number): MeasuredLine => ({
      ...line([
        [10, 10],
        [40, 12],
      ]),
      classId: 2,
      dashed: true,
      dash: {
        count: gapCount + 1,
        meanDashM: 3,
        meanGapM: 9,
        medianDashM: 3,
        medianGapM: 9,
        gapCount,
        dashesPx: [],
      },
    });
    const { features } = toFeatureCollection([dashed(0), dashed(2)], grid);
    expect(features.map((f) => f.properties.dash)).toEqual([
      undefined,
      { count: 3, mean_dash_m: 3, mean_gap_m: 9 },
    ]);
  });

  it("judges minConfidence on the reported (rounded) confidence", () => {
    const { features } = toFeatureCollection(
      [
        line(
          [
            [10, 10],
            [40, 12],
          ],
          0.8996,
        ),
        line(
          [
            [10, 20],
            [40, 22],
          ],
          0.8994,
        ),
      ],
      grid,
      { minConfidence: 0.9 },
    );
    expect(features.map((f) => f.properties.confidence)).toEqual([0.9]);
    expect(features[0]!.id).toBe("lane-1");
  });
});

describe("min_confidence on a clipped line", () => {
  it("keeps a piece whose own confidence is above the threshold, however unsure the rest of the line", () => {
    const box: LonLatBbox = [13.4, 52.5, 13.4007, 52.50015];
    const grid = gridForBbox(box, 0.15);
    const { width: W, height: H } = grid;
    const plane = W * H;
    const probs = new Float32Array(7 * plane);
    const labels = new Uint8Array(plane);
    const row = Math.floor(H / 2);
    for (let p = 0; p < plane; p++) probs[p] = 1;
    // One white line across the raster: sure of it (0.95) on the left, unsure (0.15) on the right.
    for (let y = row - 1; y <= row + 1; y++) {
      for (let x = 10; x < W - 10; x++) {
        const i = y * W + x;
        const p = x < 120 ? 0.95 : 0.15;
        labels[i] = 1;
        probs[i] = 1 - p;
        probs[plane + i] = p;
      }
    }
    const seg = {
      width: W,
      height: H,
      classIds: labels,
      scores: { data: probs, channels: 7, kind: "probabilities" as const },
    };
    // The request's area: the sure part only.
    const clip = {
      rings: [
        [
          [0, 0],
          [110, 0],
          [110, H],
          [0, H],
          [0, 0],
        ] as Pt[],
      ],
    };
    const at = (minConfidence: number) =>
      vectoriseToFeatures(seg, grid, { clip, minConfidence }).collection.features.map(
        (f) => f.properties.confidence,
      );
    const all = at(0);
    expect(all).toHaveLength(1);
    expect(all[0]).toBeGreaterThan(0.9);
    for (const threshold of [0.3, 0.5, 0.9]) expect(at(threshold)).toEqual(all);
  });
});
