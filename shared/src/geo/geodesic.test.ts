import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  bboxArea,
  bboxSidesM,
  geodesicDistance,
  type LonLat,
  parallelArcLength,
  polygonArea,
  polylineLength,
  ringArea,
  ringPerimeter,
  signedRingArea,
  WGS84_A,
} from "./geodesic.js";
import { meridianArc } from "./meridian-arc.test-helper.js";

/** Published references (WGS84). */
const WGS84_SURFACE_M2 = 510_065_621_724_088.5; // 4π R_q², 40-digit evaluation
const QUARTER_MERIDIAN_M = 10_001_965.729_313; // equator to pole

const rel = (a: number, b: number): number => Math.abs(a - b) / Math.abs(b);

describe("geodesic distance", () => {
  it("matches Karney's published examples", () => {
    // GeographicLib documentation: Wellington (-41.32, 174.81) to Salamanca (40.96, -5.50).
    expect(Math.abs(geodesicDistance([174.81, -41.32], [-5.5, 40.96]) - 19_959_679.267)).toBeLessThan(0.001);
    // Karney's GeodTest.dat lines (lat1, lon1, lat2, lon2 -> s12), as in geographiclib's own tests.
    const cases: [number, number, number, number, number][] = [
      [35.60777, -139.44815, -11.17491, -69.95921, 8_935_244.560_481_83],
      [55.52454, 106.05087, 77.03196, 197.18234, 4_105_086.171_392_44],
      [-21.97856, 142.59065, 41.84138, 98.56635, 8_394_328.894_657_67],
    ];
    for (const [lat1, lon1, lat2, lon2, s12] of cases) {
      expect(Math.abs(geodesicDistance([lon1, lat1], [lon2, lat2]) - s12)).toBeLessThan(1e-6);
    }
  });

  it("equals a·Δλ along the equator and the meridian arc along meridians", () => {
    expect(geodesicDistance([0, 0], [1, 0])).toBeCloseTo((WGS84_A * Math.PI) / 180, 6);
    expect(geodesicDistance([0, 0], [0, 90])).toBeCloseTo(QUARTER_MERIDIAN_M, 4);
    fc.assert(
      fc.property(
        fc.double({ min: -80, max: 80, noNaN: true }),
        fc.double({ min: 1e-5, max: 5, noNaN: true }),
        (lat, dLat) => {
          const d = geodesicDistance([12, lat], [12, lat + dLat]);
          expect(Math.abs(d - (meridianArc(lat + dLat) - meridianArc(lat)))).toBeLessThan(1e-4);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("is symmetric and zero for one point", () => {
    expect(geodesicDistance([10, 20], [10, 20])).toBe(0);
    expect(geodesicDistance([10, 20], [11, 21])).toBeCloseTo(geodesicDistance([11, 21], [10, 20]), 9);
  });
});

describe("polyline length", () => {
  it("sums geodesic segments", () => {
    const line: LonLat[] = [
      [0, 0],
      [0.001, 0],
      [0.001, 0.001],
    ];
    expect(polylineLength(line)).toBeCloseTo(
      geodesicDistance([0, 0], [0.001, 0]) + geodesicDistance([0.001, 0], [0.001, 0.001]),
      9,
    );
    expect(polylineLength([[1, 1]])).toBe(0);
    expect(polylineLength([])).toBe(0);
    // Splitting a meridian segment does not change its length.
    expect(
      polylineLength([
        [5, 10],
        [5, 10.3],
        [5, 10.7],
      ]),
    ).toBeCloseTo(meridianArc(10.7) - meridianArc(10), 4);
  });

  it("ignores altitude", () => {
    expect(polylineLength([[0, 0, 100] as LonLat, [0, 1, 5000] as LonLat])).toBeCloseTo(
      geodesicDistance([0, 0], [0, 1]),
      9,
    );
  });
});

describe("areas", () => {
  it("matches GeographicLib's published planimeter results", () => {
    // From Karney's test suite (Planimeter0): a polygon around the north pole, and a diamond.
    const polar: LonLat[] = [
      [0, 89],
      [90, 89],
      [180, 89],
      [270, 89],
    ];
    expect(Math.abs(ringArea(polar) - 24_952_305_678)).toBeLessThan(1);
    expect(Math.abs(ringPerimeter(polar) - 631_819.8745)).toBeLessThan(1e-3);
    const diamond: LonLat[] = [
      [-1, 0],
      [0, -1],
      [1, 0],
      [0, 1],
    ];
    expect(Math.abs(ringArea(diamond) - 24_619_419_146)).toBeLessThan(1);
  });

  it("gives an eighth of the WGS84 surface for the octant triangle", () => {
    const octant: LonLat[] = [
      [0, 90],
      [0, 0],
      [90, 0],
      [0, 90],
    ];
    expect(rel(ringArea(octant), WGS84_SURFACE_M2 / 8)).toBeLessThan(1e-9);
  });

  it("signs areas by orientation (counter-clockwise positive) and accepts closed or open rings", () => {
    const ccw: LonLat[] = [
      [0, 0],
      [0.01, 0],
      [0.01, 0.01],
      [0, 0.01],
      [0, 0],
    ];
    const cw = [...ccw].reverse();
    expect(signedRingArea(ccw)).toBeGreaterThan(0);
    expect(signedRingArea(cw)).toBeCloseTo(-signedRingArea(ccw), 3);
    expect(ringArea(ccw.slice(0, 4))).toBeCloseTo(ringArea(ccw), 6);
    expect(ringArea(ccw.slice(0, 2))).toBe(0);
  });

  it("subtracts holes", () => {
    const outer: LonLat[] = [
      [0, 0],
      [0.02, 0],
      [0.02, 0.02],
      [0, 0.02],
      [0, 0],
    ];
    const hole: LonLat[] = [
      [0.005, 0.005],
      [0.005, 0.01],
      [0.01, 0.01],
      [0.01, 0.005],
      [0.005, 0.005],
    ];
    expect(polygonArea([outer, hole])).toBeCloseTo(ringArea(outer) - ringArea(hole), 3);
  });

  it("computes bbox areas exactly (whole Earth, and against densified geodesic polygons)", () => {
    expect(rel(bboxArea([-180, -90, 180, 90]), WGS84_SURFACE_M2)).toBeLessThan(1e-12);
    fc.assert(
      fc.property(
        fc.double({ min: -179, max: 178, noNaN: true }),
        fc.double({ min: -80, max: 79, noNaN: true }),
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        fc.double({ min: 0.001, max: 0.5, noNaN: true }),
        (w, s, dw, dh) => {
          const [e, n] = [w + dw, s + dh];
          // Parallels as many short geodesics: converges on the true quadrangle area.
          const ring: LonLat[] = [];
          const k = 64;
          for (let i = 0; i <= k; i++) ring.push([w + (dw * i) / k, s]);
          for (let i = 0; i <= k; i++) ring.push([e - (dw * i) / k, n]);
          expect(rel(bboxArea([w, s, e, n]), ringArea(ring))).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("measures bbox sides along the central parallel and meridian", () => {
    expect(parallelArcLength(0, 1)).toBeCloseTo((WGS84_A * Math.PI) / 180, 6);
    expect(parallelArcLength(60, 1)).toBeLessThan(parallelArcLength(0, 1) / 2 + 200);
    const { widthM, heightM } = bboxSidesM([10, 44.9955, 10.01, 45.0045]);
    expect(heightM).toBeCloseTo(meridianArc(45.0045) - meridianArc(44.9955), 6);
    expect(Math.abs(widthM - parallelArcLength(45, 0.01))).toBeLessThan(1e-9);
    // A short geodesic along the parallel is within micrometres of the parallel arc.
    expect(Math.abs(widthM - geodesicDistance([10, 45], [10.01, 45]))).toBeLessThan(1e-3);
  });
});
