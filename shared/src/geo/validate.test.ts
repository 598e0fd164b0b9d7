import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LIMITS } from "../limits.js";
import { bboxArea, bboxSidesM } from "./geodesic.js";
import { type AreaInput, type AreaIssueCode, findSelfIntersection, validateArea } from "./validate.js";

const BRISBANE: [number, number, number, number] = [153.0245, -27.4709, 153.0265, -27.4693];

function codes(area: AreaInput, resolutionM?: number): AreaIssueCode[] {
  const r = validateArea(area, resolutionM === undefined ? {} : { resolutionM });
  return r.ok ? [] : r.issues.map((i) => i.code);
}

function square(lon: number, lat: number, d: number): number[][] {
  return [
    [lon, lat],
    [lon + d, lat],
    [lon + d, lat + d],
    [lon, lat + d],
    [lon, lat],
  ];
}

describe("bbox", () => {
  it("accepts a city block and reports its size and raster", () => {
    const r = validateArea({ type: "bbox", bbox: BRISBANE });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.kind).toBe("bbox");
    expect(r.value.areaM2).toBeCloseTo(bboxArea(BRISBANE), 6);
    expect(r.value.widthM).toBeGreaterThan(195);
    expect(r.value.widthM).toBeLessThan(200);
    expect(r.value.heightM).toBeGreaterThan(176);
    expect(r.value.heightM).toBeLessThan(179);
    // 0.25 m ground pixels: about width/0.25 by height/0.25.
    // (Spherical Mercator scale differs from the ellipsoid's by up to ~0.7 %, hence 1 %.)
    expect(Math.abs(r.value.grid.width / (r.value.widthM / 0.25) - 1)).toBeLessThan(0.01);
    expect(Math.abs(r.value.grid.height / (r.value.heightM / 0.25) - 1)).toBeLessThan(0.01);
    expect(r.value.pixels).toBe(r.value.grid.width * r.value.grid.height);
  });

  it("rejects coordinates out of range with the field's path", () => {
    const r = validateArea({ type: "bbox", bbox: [-181, -86, 10, 10] }, { basePath: ["area"] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => [i.code, i.path])).toEqual([
      ["out_of_range", "/area/bbox/0"],
      ["out_of_range", "/area/bbox/1"],
    ]);
    expect(r.issues[1]!.message).toMatch(/85\.0511/);
    expect(codes({ type: "bbox", bbox: [0, 0, 0.001, 85.06] })).toEqual(["out_of_range"]);
  });

  it("explains that antimeridian crossing is not supported", () => {
    const r = validateArea({ type: "bbox", bbox: [179.999, 0, -179.999, 0.001] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]!.code).toBe("antimeridian");
    expect(r.issues[0]!.message).toMatch(/antimeridian.*not supported/);
    // West and east swapped in Sacramento is not an antimeridian question.
    const swapped = validateArea({ type: "bbox", bbox: [-121.493, 38.58, -121.496, 38.5824] });
    expect(!swapped.ok && swapped.issues[0]!.message).toBe(
      "west (-121.493) is greater than east (-121.496): a bbox is [west, south, east, north] with west < east",
    );
  });

  it("rejects degenerate, inverted and malformed boxes", () => {
    expect(codes({ type: "bbox", bbox: [10, 10, 10, 10.001] })).toEqual(["degenerate"]);
    expect(codes({ type: "bbox", bbox: [10, 10.001, 10.001, 10.001] })).toEqual(["degenerate"]);
    expect(codes({ type: "bbox", bbox: [10, 10.001, 10.001, 10] })).toEqual(["out_of_range"]);
    expect(codes({ type: "bbox", bbox: [10, 10, 10.001] })).toEqual(["invalid_structure"]);
    expect(codes({ type: "bbox", bbox: [10, Number.NaN, 10.001, 10.001] })).toEqual(["invalid_structure"]);
    expect(codes({ type: "bbox", bbox: [10, 10, Number.POSITIVE_INFINITY, 10.001] })).toEqual([
      "invalid_structure",
    ]);
  });

  it("enforces minimum side, maximum area and maximum pixels", () => {
    // 0.00005° of latitude is about 5.5 m.
    expect(codes({ type: "bbox", bbox: [10, 10, 10.01, 10.00005] })).toEqual(["too_small"]);
    // Just under the minimum reads as under it, never as "10.00 m" against "at least 10 m".
    const under = validateArea({ type: "bbox", bbox: [10, 10, 10.01, 10 + 9.997 / 110_575] });
    expect(!under.ok && under.issues[0]!.message).toMatch(/ 9\.99 m high; both must be at least 10 m$/);
    // 0.1° x 0.1° at the equator is about 123 km².
    expect(codes({ type: "bbox", bbox: [0, 0, 0.1, 0.1] })).toEqual(["too_large"]);
    // Too large by area, and by pixels at the analysed resolution: the message leads with the
    // tighter limit, the one the area must meet.
    const huge = validateArea({ type: "bbox", bbox: [0, 0, 0.1, 0.1] }, { resolutionM: 0.35 });
    expect(!huge.ok && huge.issues[0]!.message).toMatch(
      /^the area is 123\.\d+ km²; at 0\.35 m\/px at most 8,388,608 pixels are allowed, a bounding box of about 1\.02 km² \(and never more than 10 km²\)$/,
    );
    const coarse = validateArea({ type: "bbox", bbox: [0, 0, 0.1, 0.1] }, { resolutionM: 2 });
    expect(!coarse.ok && coarse.issues[0]!.message).toMatch(
      /^the area is 123\.\d+ km²; at most 10 km² is allowed$/,
    );
    // About 1 km x 1 km: 1 km² is fine by area but 16 Mpx at 0.25 m, 4 Mpx at 0.5 m.
    const km: AreaInput = { type: "bbox", bbox: [0, 0, 0.009, 0.009] };
    expect(codes(km, 0.25)).toEqual(["too_many_pixels"]);
    expect(codes(km, 0.5)).toEqual([]);
    const r = validateArea(km);
    expect(!r.ok && r.issues[0]!.message).toMatch(/coarser resolution_m/);
  });

  it("refuses a thin strip whose long side is over the side limit, though its pixels are within theirs", () => {
    // 10.5 m x 50 km near Oslo: 35 x 166,441 px at 0.3 m (5.8 M px, within the pixel limit), which
    // would need over 1,000 provider tiles, one row per 256 px of length.
    const strip: AreaInput = { type: "bbox", bbox: [10.1372348, 59.7757306, 10.1374234, 60.2242694] };
    expect(codes(strip, 0.3)).toEqual(["too_long"]);
    const r = validateArea(strip, { resolutionM: 0.3 });
    expect(!r.ok && r.issues[0]!.message).toMatch(/no side may be longer than 16,384 px \(4\.92 km/);
    // 4 km of it is within the limit.
    const shorter: AreaInput = {
      type: "bbox",
      bbox: [10.1372348, 59.7757306, 10.1374234, 59.7757306 + 0.036],
    };
    expect(codes(shorter, 0.3)).toEqual([]);
    expect(codes(strip, 2)).toEqual(["too_long"]);
  });

  it("never accepts more pixels or area than the limits, whatever the box", () => {
    fc.assert(
      fc.property(
        fc.double({ min: -179, max: 179, noNaN: true }),
        fc.double({ min: -84, max: 84, noNaN: true }),
        fc.double({ min: 1e-6, max: 0.1, noNaN: true }),
        fc.double({ min: 1e-6, max: 0.1, noNaN: true }),
        fc.double({ min: LIMITS.minResolutionM, max: LIMITS.maxResolutionM, noNaN: true }),
        (w, s, dw, dh, res) => {
          const r = validateArea({ type: "bbox", bbox: [w, s, w + dw, s + dh] }, { resolutionM: res });
          if (!r.ok) return;
          expect(r.value.pixels).toBeLessThanOrEqual(LIMITS.maxPixels);
          expect(Math.max(r.value.grid.width, r.value.grid.height)).toBeLessThanOrEqual(LIMITS.maxSidePx);
          expect(r.value.areaM2).toBeLessThanOrEqual(LIMITS.maxAreaKm2 * 1e6);
          expect(Math.min(r.value.widthM, r.value.heightM)).toBeGreaterThanOrEqual(LIMITS.minSideM);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("throws only for a resolution the caller should have validated", () => {
    expect(() => validateArea({ type: "bbox", bbox: BRISBANE }, { resolutionM: 0 })).toThrow(RangeError);
  });
});

describe("polygon", () => {
  const poly = (ring: number[][], ...holes: number[][][]): AreaInput => ({
    type: "Polygon",
    coordinates: [ring, ...holes],
  });

  it("accepts a simple ring in either orientation, with or without altitude", () => {
    const ring = square(153.0245, -27.4709, 0.001);
    const r = validateArea(poly(ring));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.kind).toBe("polygon");
    expect(r.value.bbox).toEqual([153.0245, -27.4709, 153.0255, -27.4699]);
    expect(r.value.areaM2).toBeCloseTo(bboxArea(r.value.bbox), -1);
    expect(codes(poly([...ring].reverse()))).toEqual([]);
    expect(codes(poly(ring.map(([x, y]) => [x!, y!, 12])))).toEqual([]);
  });

  it("requires closed rings of at least 4 positions", () => {
    const open = square(10, 10, 0.001).slice(0, 4);
    const r = validateArea(poly(open), { basePath: ["area"] });
    expect(!r.ok && r.issues.map((i) => [i.code, i.path])).toEqual([["not_closed", "/area/coordinates/0/3"]]);
    expect(
      codes(
        poly([
          [10, 10],
          [10.001, 10],
          [10, 10],
        ]),
      ),
    ).toEqual(["too_few_positions"]);
    const unclosedTriangle = validateArea(
      poly([
        [10, 10],
        [10.001, 10],
        [10, 10.001],
      ]),
    );
    expect(!unclosedTriangle.ok && unclosedTriangle.issues[0]!.message).toMatch(
      /closing position, equal to the first, is missing/,
    );
  });

  it("requires the ring's ends to be identical, altitude included (RFC 7946 §3.1.6)", () => {
    const withAlt = (alts: (number | undefined)[]) =>
      square(10, 10, 0.001).map(([x, y], i) => (alts[i] === undefined ? [x!, y!] : [x!, y!, alts[i]!]));
    // Only the ends must agree; other vertices may have any altitude or none.
    expect(codes(poly(withAlt([5, undefined, 7, 8, 5])))).toEqual([]);
    const differ = validateArea(poly(withAlt([5, 5, 5, 5, 6])), { basePath: ["area"] });
    expect(!differ.ok && differ.issues.map((i) => [i.code, i.path, i.message])).toEqual([
      [
        "not_closed",
        "/area/coordinates/0/4",
        "the ring is not closed: its last position must equal its first, altitude included (RFC 7946)",
      ],
    ]);
    expect(codes(poly(withAlt([undefined, 0, 0, 0, 0])))).toEqual(["not_closed"]);
    expect(codes(poly(withAlt([0, 0, 0, 0, undefined])))).toEqual(["not_closed"]);
  });

  it("rejects holes, bad positions and out-of-range coordinates", () => {
    expect(codes(poly(square(10, 10, 0.01), square(10.002, 10.002, 0.001)))).toEqual(["holes_unsupported"]);
    expect(codes({ type: "Polygon", coordinates: [] })).toEqual(["invalid_structure"]);
    const ring = square(10, 10, 0.001);
    ring[2] = [10.001];
    expect(codes(poly(ring))).toEqual(["invalid_structure"]);
    const r = validateArea(poly(square(179.9999, 85.05, 0.002)), { basePath: ["area"] });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path)).toEqual([
      "/area/coordinates/0/1/0",
      "/area/coordinates/0/2/0",
      "/area/coordinates/0/2/1",
      "/area/coordinates/0/3/1",
    ]);
    // The limit as it is applied, not rounded: 85.05112 is inside it.
    expect(r.issues[2]!.message).toMatch(/outside \[-85\.0511287798\d*, 85\.0511287798\d*\]/);
  });

  it("rejects rings that cross the antimeridian", () => {
    const ring = [
      [179.9995, 0],
      [-179.9995, 0],
      [-179.9995, 0.001],
      [179.9995, 0.001],
      [179.9995, 0],
    ];
    const r = validateArea(poly(ring));
    expect(!r.ok && r.issues[0]!.code).toBe("antimeridian");
    expect(!r.ok && r.issues[0]!.message).toMatch(/not supported/);
  });

  it("rejects degenerate rings", () => {
    const flat = [
      [10, 10],
      [10.001, 10.001],
      [10.002, 10.002],
      [10, 10],
    ];
    expect(codes(poly(flat))).toEqual(["degenerate"]);
    const repeated = [
      [10, 10],
      [10, 10],
      [10.001, 10],
      [10.001, 10],
      [10, 10],
    ];
    expect(codes(poly(repeated))).toEqual(["degenerate"]);
    // Straight lines far from (0, 0), where rounding of the coordinates themselves exceeds a
    // purely relative tolerance for rings of a few hundred metres (both were once analysed).
    const sacramento = [
      [-121.496, 38.58],
      [-121.495, 38.5808],
      [-121.494, 38.5816],
      [-121.493, 38.5824],
      [-121.496, 38.58],
    ];
    expect(codes(poly(sacramento))).toEqual(["degenerate"]);
    const triangle = [
      [-121.496, 38.58],
      [-121.4945, 38.5812],
      [-121.493, 38.5824],
      [-121.496, 38.58],
    ];
    expect(codes(poly(triangle))).toEqual(["degenerate"]);
  });

  it("takes any bbox with both sides at the minimum: the enclosed-area rule is the polygon's", () => {
    const atLeast = (f: (d: number) => number, lo: number, hi: number) => {
      for (let i = 0; i < 200; i++) {
        const m = (lo + hi) / 2;
        if (f(m) >= 10) hi = m;
        else lo = m;
      }
      return hi;
    };
    for (const lat of [0, 45, 60, -60, 80]) {
      const dLat = atLeast((d) => bboxSidesM([0, lat, 1e-4, lat + d]).heightM, 0, 1e-3);
      const dLon = atLeast((d) => bboxSidesM([0, lat, d, lat + dLat]).widthM, 0, 1e-2);
      expect(codes({ type: "bbox", bbox: [0, lat, dLon, lat + dLat] }), `lat ${lat}`).toEqual([]);
    }
  });

  it("refuses a polygon that encloses less than the smallest bbox, however large its bbox", () => {
    // A thin triangle along the diagonal of a 260 m x 260 m bbox: 1 cm off the line.
    const sliver = [
      [-121.496, 38.58],
      [-121.493, 38.5824],
      [-121.4945, 38.58120009],
      [-121.496, 38.58],
    ];
    const r = validateArea(poly(sliver));
    expect(!r.ok && r.issues.map((i) => i.code)).toEqual(["too_small"]);
    expect(!r.ok && r.issues[0]!.message).toMatch(/^the polygon encloses \d+(\.\d+)? m²; at least 100 m²/);
    // Just under and just over the 100 m² that a 10 m x 10 m bbox encloses: the same bbox, the
    // third vertex moved a few decimetres off the diagonal.
    const triangle = (lat: number) => poly([sliver[0]!, sliver[1]!, [-121.4945, lat], sliver[0]!]);
    const under = validateArea(triangle(38.5812035));
    expect(!under.ok && under.issues.map((i) => [i.code, i.message])).toEqual([
      ["too_small", "the polygon encloses 50.35 m²; at least 100 m² (10 m x 10 m) is needed"],
    ]);
    expect(codes(triangle(38.581207))).toEqual([]);
    // A thin but real corridor (12 m wide, 300 m long) is fine.
    const corridor = square(-121.496, 38.58, 0.0035).map(([x, y]) => [x!, 38.58 + (y! - 38.58) / 30]);
    expect(codes(poly(corridor))).toEqual([]);
  });

  it("rejects self-intersecting rings (bow tie, spike, touching vertex)", () => {
    const bowTie = [
      [10, 10],
      [10.001, 10.001],
      [10.001, 10],
      [10, 10.001],
      [10, 10],
    ];
    const r = validateArea(poly(bowTie));
    expect(!r.ok && r.issues[0]!.code).toBe("self_intersection");
    const spike = [
      [10, 10],
      [10.002, 10],
      [10.002, 10.002],
      [10.002, 10.003], // out ...
      [10.002, 10.001], // ... and back over the same edge
      [10, 10.002],
      [10, 10],
    ];
    expect(codes(poly(spike))).toEqual(["self_intersection"]);
    const figureEight = [
      [10, 10],
      [10.001, 10],
      [10.001, 10.001],
      [10.0005, 10.0005],
      [10.0005, 10.0015],
      [10, 10.0015],
      [10.0005, 10.0005],
      [10, 10],
    ];
    expect(codes(poly(figureEight))).toEqual(["self_intersection"]);
    // A vertex that touches an edge further along the ring (the closing edge runs through (3, 2)).
    const touching = [
      [0, 2],
      [2, 4],
      [3, 2],
      [4, 4],
      [4, 2],
      [0, 2],
    ].map(([x, y]) => [10 + 1e-4 * x!, 10 + 1e-4 * y!]);
    expect(codes(poly(touching))).toEqual(["self_intersection"]);
  });

  it("finds intersections exactly as a brute-force point test of simple shapes expects", () => {
    // Convex polygons (points on a circle, in order) are always simple; swapping two
    // non-adjacent vertices of a convex polygon with >= 5 vertices always makes it cross.
    fc.assert(
      fc.property(fc.integer({ min: 5, max: 40 }), fc.nat(), fc.nat(), (n, a, b) => {
        const pts = Array.from({ length: n }, (_, k) => {
          const t = (2 * Math.PI * k) / n;
          return [10 + 0.001 * Math.cos(t), 10 + 0.001 * Math.sin(t)] as [number, number];
        });
        expect(findSelfIntersection(pts)).toBeNull();
        const i = a % n;
        const j = (i + 2 + (b % (n - 3))) % n;
        const swapped = [...pts];
        [swapped[i], swapped[j]] = [swapped[j]!, swapped[i]!];
        expect(findSelfIntersection(swapped)).not.toBeNull();
      }),
      { numRuns: 200 },
    );
  });

  it("caps vertices before doing the O(n²) check, and stays fast at the cap", () => {
    const n = LIMITS.maxPolygonVertices;
    const circle = (k: number): number[][] => {
      const ring = Array.from({ length: k }, (_, i) => {
        const t = (2 * Math.PI * i) / k;
        return [10 + 0.003 * Math.cos(t), 10 + 0.003 * Math.sin(t)];
      });
      return [...ring, ring[0]!];
    };
    expect(codes(poly(circle(n + 1)))).toEqual(["too_many_vertices"]);
    const t0 = performance.now();
    expect(codes(poly(circle(n)))).toEqual([]);
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it("applies size limits to polygons too", () => {
    expect(codes(poly(square(0, 0, 0.00005)))).toEqual(["too_small"]);
    expect(codes(poly(square(0, 0, 0.1)))).toEqual(["too_large"]);
    expect(codes(poly(square(0, 0, 0.009)), 0.25)).toEqual(["too_many_pixels"]);
  });
});
