import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lonLatToMercator, mercatorToLonLat } from "../geo/mercator.js";
import { buildCoverageIndex, type CoverageEntry, CoverageEntryError } from "./build.js";
import { CoverageFormatError, type CoverageHit, CoverageIndex } from "./coverage-index.js";
import { toGeoJSON } from "./geojson.js";

type Box = [number, number, number, number];

// Somewhere near Valencia, so ground resolution differs visibly from Mercator resolution.
const X0 = -41_900;
const Y0 = 4_782_100;
const UNIT = 10; // Mercator metres per grid step of the generated boxes

function entry(id: string, box: Box, res = 0.3, file: string | null = `${id}.jpg`): CoverageEntry {
  const width = Math.max(1, Math.round((box[2] - box[0]) / res));
  return { id, file, footprint: box, width, height: width, mercatorResolution: res };
}

/** Random integer boxes on a coarse grid: many exact touches, overlaps and containments. */
const boxArb = fc
  .tuple(
    fc.integer({ min: 0, max: 40 }),
    fc.integer({ min: 0, max: 40 }),
    fc.integer({ min: 1, max: 15 }),
    fc.integer({ min: 1, max: 15 }),
  )
  .map(([x, y, w, h]): Box => [X0 + x * UNIT, Y0 + y * UNIT, X0 + (x + w) * UNIT, Y0 + (y + h) * UNIT]);
const queryArb = fc
  .tuple(
    fc.integer({ min: -5, max: 55 }),
    fc.integer({ min: -5, max: 55 }),
    fc.integer({ min: 0, max: 12 }),
    fc.integer({ min: 0, max: 12 }),
  )
  .map(([x, y, w, h]): Box => [X0 + x * UNIT, Y0 + y * UNIT, X0 + (x + w) * UNIT, Y0 + (y + h) * UNIT]);
const entriesArb = fc
  .array(fc.tuple(boxArb, fc.constantFrom(0.15, 0.2, 0.3)), { minLength: 0, maxLength: 60 })
  .map((list) => list.map(([box, res], k) => entry(`img-${k}`, box, res)));

/** Brute force, written independently of area.ts: positive-area overlap, or closed containment for a point/segment axis. */
function bruteCoverage(q: Box, f: Box): number {
  let frac = 1;
  for (const [lo, hi, flo, fhi] of [
    [q[0], q[2], f[0], f[2]],
    [q[1], q[3], f[1], f[3]],
  ] as const) {
    if (hi === lo) {
      if (lo < flo || lo > fhi) return -1;
    } else {
      const o = Math.min(hi, fhi) - Math.max(lo, flo);
      if (o <= 0) return -1;
      frac *= o / (hi - lo);
    }
  }
  return frac;
}

/** Exact covered area of q by a union of boxes, by coordinate compression (independent of union.ts). */
function bruteCoveredFraction(q: Box, boxes: Box[]): number {
  const xs = [...new Set([q[0], q[2], ...boxes.flatMap((b) => [b[0], b[2]])])]
    .filter((v) => v >= q[0] && v <= q[2])
    .sort((a, b) => a - b);
  const ys = [...new Set([q[1], q[3], ...boxes.flatMap((b) => [b[1], b[3]])])]
    .filter((v) => v >= q[1] && v <= q[3])
    .sort((a, b) => a - b);
  let covered = 0;
  for (let i = 0; i + 1 < xs.length; i++) {
    for (let j = 0; j + 1 < ys.length; j++) {
      const cx = (xs[i]! + xs[i + 1]!) / 2;
      const cy = (ys[j]! + ys[j + 1]!) / 2;
      if (boxes.some((b) => b[0] <= cx && cx <= b[2] && b[1] <= cy && cy <= b[3])) {
        covered += (xs[i + 1]! - xs[i]!) * (ys[j + 1]! - ys[j]!);
      }
    }
  }
  return covered / ((q[2] - q[0]) * (q[3] - q[1]));
}

const ids = (hits: readonly CoverageHit[]) => hits.map((h) => h.id);

describe("CoverageIndex.search", () => {
  it("returns exactly the footprints that intersect the area, with their coverage (vs brute force)", () => {
    fc.assert(
      fc.property(entriesArb, queryArb, (entries, q) => {
        const index = CoverageIndex.from(buildCoverageIndex(entries));
        const hits = index.search({ mercator: q });
        const expected = entries
          .map((e) => ({ id: e.id, c: bruteCoverage(q, e.footprint as Box) }))
          .filter((e) => e.c >= 0);
        expect(new Set(ids(hits))).toEqual(new Set(expected.map((e) => e.id)));
        expect(hits.length).toBe(expected.length);
        for (const h of hits) {
          expect(h.coverage).toBeCloseTo(expected.find((e) => e.id === h.id)!.c, 12);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("orders hits best first: finest resolution, then largest coverage", () => {
    fc.assert(
      fc.property(entriesArb, queryArb, (entries, q) => {
        const hits = CoverageIndex.from(buildCoverageIndex(entries)).search({ mercator: q });
        for (let k = 1; k < hits.length; k++) {
          const a = hits[k - 1]!;
          const b = hits[k]!;
          expect(a.groundResolutionM).toBeLessThanOrEqual(b.groundResolutionM);
          if (a.mercatorResolution === b.mercatorResolution)
            expect(a.coverage).toBeGreaterThanOrEqual(b.coverage);
        }
      }),
    );
  });

  it("ranks a finer image first even when it covers less, and a fuller one among equals", () => {
    const q: Box = [X0 + 100, Y0 + 100, X0 + 200, Y0 + 200];
    const index = CoverageIndex.from(
      buildCoverageIndex([
        entry("coarse-full", [X0, Y0, X0 + 400, Y0 + 400], 0.3),
        entry("fine-half", [X0 + 150, Y0, X0 + 400, Y0 + 400], 0.15),
        entry("coarse-quarter", [X0 + 150, Y0 + 150, X0 + 400, Y0 + 400], 0.3),
        entry("touching", [X0 + 200, Y0, X0 + 400, Y0 + 400], 0.1),
      ]),
    );
    const hits = index.search({ mercator: q });
    expect(ids(hits)).toEqual(["fine-half", "coarse-full", "coarse-quarter"]);
    expect(hits.map((h) => h.coverage)).toEqual([0.5, 1, 0.25]);
    expect(index.search({ mercator: q }, { limit: 1 }).map((h) => h.id)).toEqual(["fine-half"]);
  });

  it("gives ground resolution at the area's latitude and accepts lon/lat areas", () => {
    const index = CoverageIndex.from(buildCoverageIndex([entry("a", [X0, Y0, X0 + 384, Y0 + 384], 0.3)]));
    const [w, s] = mercatorToLonLat(X0 + 100, Y0 + 100);
    const [e, n] = mercatorToLonLat(X0 + 200, Y0 + 200);
    const [hit] = index.search({ lonLat: [w, s, e, n] });
    expect(hit?.id).toBe("a");
    const lat = (s + n) / 2;
    expect(hit!.groundResolutionM).toBeCloseTo(0.3 * Math.cos((lat * Math.PI) / 180), 4);
    expect(hit!.groundResolutionM).toBeGreaterThan(0.22); // ~0.77 x 0.3 at Valencia
    expect(hit!.groundResolutionM).toBeLessThan(0.24);
    expect(hit!.coverage).toBeCloseTo(1, 9);
    expect(hit!.file).toBe("a.jpg");
    expect(hit!.footprint).toEqual([X0, Y0, X0 + 384, Y0 + 384]);
  });

  it("finds a point on a footprint's edge, and rejects malformed areas", () => {
    const index = CoverageIndex.from(buildCoverageIndex([entry("a", [X0, Y0, X0 + 100, Y0 + 100])]));
    expect(ids(index.search({ mercator: [X0 + 100, Y0 + 50, X0 + 100, Y0 + 50] }))).toEqual(["a"]);
    expect(ids(index.search({ mercator: [X0 + 101, Y0 + 50, X0 + 101, Y0 + 50] }))).toEqual([]);
    expect(() => index.search({ lonLat: [10, 0, 5, 1] })).toThrow(RangeError);
    expect(() => index.search({ lonLat: [0, 0, 1, 89] })).toThrow(RangeError);
    expect(() => index.search({ mercator: [0, 0, Number.NaN, 1] })).toThrow(RangeError);
  });

  it("answers an empty index with nothing", () => {
    const index = CoverageIndex.from(buildCoverageIndex([]));
    expect(index.size).toBe(0);
    expect(index.bounds).toBeNull();
    expect(index.search({ mercator: [0, 0, 1, 1] })).toEqual([]);
    expect(index.covers({ mercator: [0, 0, 1, 1] })).toMatchObject({
      fully: false,
      coveredFraction: 0,
      bestResolutionM: null,
    });
  });
});

describe("serialisation", () => {
  it("round trip through bytes (copied, offset, unaligned) gives identical answers; builds are deterministic", () => {
    fc.assert(
      fc.property(entriesArb, fc.array(queryArb, { minLength: 1, maxLength: 5 }), (entries, queries) => {
        const buffer = buildCoverageIndex(entries);
        expect(new Uint8Array(buildCoverageIndex(entries))).toEqual(new Uint8Array(buffer));
        const original = CoverageIndex.from(buffer);
        // Aligned offset (zero-copy path) and odd offset (copy path) inside a bigger buffer.
        for (const pad of [8, 3]) {
          const big = new Uint8Array(buffer.byteLength + pad + 5);
          big.set(new Uint8Array(buffer), pad);
          const reloaded = CoverageIndex.from(big.subarray(pad, pad + buffer.byteLength));
          expect(reloaded.size).toBe(entries.length);
          expect(reloaded.bounds).toEqual(original.bounds);
          for (const q of queries) {
            expect(reloaded.search({ mercator: q })).toEqual(original.search({ mercator: q }));
            expect(reloaded.covers({ mercator: q })).toEqual(original.covers({ mercator: q }));
          }
        }
        for (let k = 0; k < entries.length; k++) {
          const e = entries[k]!;
          expect(original.image(k)).toMatchObject({
            id: e.id,
            file: e.file,
            footprint: e.footprint,
            width: e.width,
          });
        }
      }),
      { numRuns: 50 },
    );
  });

  it("keeps non-ASCII ids, files without an image and any file suffix", () => {
    const index = CoverageIndex.from(
      buildCoverageIndex([
        entry("São-Paulo-ä", [0, 0, 10, 10], 0.3, "São-Paulo-ä.PNG"),
        entry("no-image", [5, 5, 15, 15], 0.3, null),
        entry("x".repeat(100), [5, 5, 15, 15], 0.3, `${"x".repeat(100)}.jpeg`),
      ]),
    );
    expect([0, 1, 2].map((k) => [index.image(k).id, index.image(k).file])).toEqual([
      ["São-Paulo-ä", "São-Paulo-ä.PNG"],
      ["no-image", null],
      ["x".repeat(100), `${"x".repeat(100)}.jpeg`],
    ]);
  });

  it("rejects foreign, truncated and future-version buffers", () => {
    const buffer = buildCoverageIndex([entry("a", [0, 0, 10, 10])]);
    expect(() => CoverageIndex.from(new ArrayBuffer(100))).toThrow(/bad magic/);
    expect(() => CoverageIndex.from(buffer.slice(0, buffer.byteLength - 8))).toThrow(/truncated/);
    expect(() => CoverageIndex.from(buffer.slice(0, 10))).toThrow(CoverageFormatError);
    const future = buffer.slice(0);
    new DataView(future).setUint16(4, 99, true);
    expect(() => CoverageIndex.from(future)).toThrow(/version 99/);
  });

  it("rejects bad entries naming them", () => {
    const ok = entry("a", [0, 0, 10, 10]);
    expect(() => buildCoverageIndex([ok, ok])).toThrow(/entry 1 \(id "a"\): duplicate id/);
    expect(() => buildCoverageIndex([entry("b", [0, 0, 0, 10])])).toThrow(CoverageEntryError);
    expect(() => buildCoverageIndex([{ ...ok, footprint: [0, 0, Number.NaN, 1] }])).toThrow(/finite/);
    expect(() => buildCoverageIndex([{ ...ok, width: 0 }])).toThrow(/width/);
    expect(() => buildCoverageIndex([{ ...ok, file: "other.jpg" }])).toThrow(/file must be the id/);
    expect(() => buildCoverageIndex([{ ...ok, footprint: [0, 0, 1e8, 1] }])).toThrow(/world/);
  });
});

describe("CoverageIndex.covers", () => {
  const img: Box = [X0, Y0, X0 + 384, Y0 + 384];

  it("reports an area fully inside one image as fully covered by it", () => {
    const index = CoverageIndex.from(
      buildCoverageIndex([entry("a", img, 0.3), entry("b", [X0 + 300, Y0, X0 + 700, Y0 + 384], 0.2)]),
    );
    const r = index.covers({ mercator: [X0 + 10, Y0 + 10, X0 + 200, Y0 + 200] });
    expect(r.fully).toBe(true);
    expect(r.coveredFraction).toBe(1);
    expect(r.bestSingle?.id).toBe("a");
    expect(r.bestResolutionM).toBeCloseTo(r.images[0]!.groundResolutionM, 12);
  });

  it("reports an area partly outside as not fully covered, with the covered fraction", () => {
    const index = CoverageIndex.from(buildCoverageIndex([entry("a", img, 0.3)]));
    const r = index.covers({ mercator: [X0 + 284, Y0 + 100, X0 + 484, Y0 + 200] });
    expect(r.fully).toBe(false);
    expect(r.coveredFraction).toBeCloseTo(0.5, 12);
    expect(r.bestSingle).toBeNull();
    expect(ids(r.images)).toEqual(["a"]);
  });

  it("sees two abutting images together cover an area neither covers alone, also via lon/lat", () => {
    const index = CoverageIndex.from(
      buildCoverageIndex([entry("left", img, 0.3), entry("right", [X0 + 384, Y0, X0 + 768, Y0 + 384], 0.15)]),
    );
    const q: Box = [X0 + 300, Y0 + 100, X0 + 500, Y0 + 200];
    const r = index.covers({ mercator: q });
    expect(r).toMatchObject({ fully: true, coveredFraction: 1, bestSingle: null });
    expect(ids(r.images)).toEqual(["right", "left"]);
    // The same area through degrees: float noise at the shared edge must not leave a sliver.
    const [w, s] = mercatorToLonLat(q[0], q[1]);
    const [e, n] = mercatorToLonLat(q[2], q[3]);
    expect(index.covers({ lonLat: [w, s, e, n] }).fully).toBe(true);
  });

  it("finds a real gap however thin, but not float noise where images abut", () => {
    const q: Box = [X0 + 300, Y0 + 100, X0 + 500, Y0 + 200];
    const withGap = (gap: number) =>
      CoverageIndex.from(
        buildCoverageIndex([
          entry("left", img, 0.3),
          entry("right", [X0 + 384 + gap, Y0, X0 + 768, Y0 + 384], 0.3),
        ]),
      ).covers({ mercator: q });
    expect(withGap(0.01).fully).toBe(false);
    expect(withGap(0.01).coveredFraction).toBeCloseTo(1 - 0.01 / 200, 9);
    expect(withGap(1e-9).fully).toBe(true);
    // A gap in y inside one slab (three images stacked with a hole between the upper two).
    const stacked = CoverageIndex.from(
      buildCoverageIndex([
        entry("base", [X0, Y0, X0 + 400, Y0 + 150], 0.3),
        entry("mid", [X0, Y0 + 150, X0 + 400, Y0 + 170], 0.3),
        entry("top", [X0, Y0 + 170.5, X0 + 400, Y0 + 400], 0.3),
      ]),
    );
    const r = stacked.covers({ mercator: [X0 + 10, Y0 + 100, X0 + 20, Y0 + 200] });
    expect(r.fully).toBe(false);
    expect(r.coveredFraction).toBeCloseTo(1 - 0.5 / 100, 9);
  });

  it("handles point and segment areas with closed containment", () => {
    const index = CoverageIndex.from(
      buildCoverageIndex([
        entry("low", [X0, Y0, X0 + 100, Y0 + 100], 0.3),
        entry("high", [X0, Y0 + 100, X0 + 100, Y0 + 200], 0.3),
      ]),
    );
    // A vertical segment across the shared edge, and a horizontal one running past the images.
    expect(index.covers({ mercator: [X0 + 50, Y0 + 10, X0 + 50, Y0 + 190] })).toMatchObject({
      fully: true,
      bestSingle: null,
    });
    const past = index.covers({ mercator: [X0 + 50, Y0 + 10, X0 + 150, Y0 + 10] });
    expect(past.fully).toBe(false);
    expect(past.coveredFraction).toBeCloseTo(0.5, 12);
    // A vertical segment reaching above both images.
    expect(index.covers({ mercator: [X0 + 50, Y0 + 150, X0 + 50, Y0 + 250] }).coveredFraction).toBeCloseTo(
      0.5,
      12,
    );
    const corner = index.covers({ mercator: [X0 + 100, Y0 + 100, X0 + 100, Y0 + 100] });
    expect(corner.fully).toBe(true);
    expect(ids(corner.images).sort()).toEqual(["high", "low"]);
    expect(index.covers({ mercator: [X0 + 101, Y0 + 50, X0 + 101, Y0 + 50] })).toMatchObject({
      fully: false,
      coveredFraction: 0,
    });
  });

  it("matches an exact union by coordinate compression on random data", () => {
    fc.assert(
      fc.property(entriesArb, queryArb, (entries, q) => {
        fc.pre(q[2] > q[0] && q[3] > q[1]);
        const r = CoverageIndex.from(buildCoverageIndex(entries)).covers({ mercator: q });
        const expected = bruteCoveredFraction(
          q,
          entries.map((e) => e.footprint as Box),
        );
        expect(r.coveredFraction).toBeCloseTo(expected, 9);
        expect(r.fully).toBe(expected === 1);
        const single = entries.filter((e) => bruteCoverage(q, e.footprint as Box) === 1);
        expect(r.bestSingle !== null).toBe(single.length > 0);
      }),
      { numRuns: 300 },
    );
  });
});

describe("toGeoJSON", () => {
  it("gives closed counter-clockwise lon/lat rectangles that map back onto the footprints", () => {
    const box: Box = [X0, Y0, X0 + 384, Y0 + 384];
    const index = CoverageIndex.from(buildCoverageIndex([entry("a", box, 0.3)]));
    const fc1 = toGeoJSON(index.search({ mercator: [X0 + 1, Y0 + 1, X0 + 2, Y0 + 2] }));
    expect(fc1.type).toBe("FeatureCollection");
    const f = fc1.features[0]!;
    const hit = index.search({ mercator: [X0 + 1, Y0 + 1, X0 + 2, Y0 + 2] })[0]!;
    expect(hit.mercatorResolution).toBe(Math.fround(0.3)); // stored as float32, shown rounded
    expect(f.properties).toEqual({
      id: "a",
      width_px: 1280,
      height_px: 1280,
      mercator_resolution_m: 0.3,
      ground_resolution_m: Math.round(hit.groundResolutionM * 1e6) / 1e6,
      coverage: 1,
    });
    expect(f.properties.ground_resolution_m).not.toBe(hit.groundResolutionM);
    // Degrees to 1e-8, as an analysis's lines: no float noise beyond it.
    for (const v of [...f.bbox, ...f.geometry.coordinates[0]!.flat()])
      expect(Math.round(v * 1e8) / 1e8).toBe(v);
    const ring = f.geometry.coordinates[0]!;
    expect(ring).toHaveLength(5);
    expect(ring[4]).toEqual(ring[0]);
    let twiceArea = 0; // shoelace: positive = counter-clockwise
    for (let k = 0; k < 4; k++) twiceArea += ring[k]![0] * ring[k + 1]![1] - ring[k + 1]![0] * ring[k]![1];
    expect(twiceArea).toBeGreaterThan(0);
    const [x0, y0] = lonLatToMercator(...ring[0]!);
    const [x1, y1] = lonLatToMercator(...ring[2]!);
    for (const [got, want] of [
      [x0, box[0]],
      [y0, box[1]],
      [x1, box[2]],
      [y1, box[3]],
    ] as const)
      expect(got).toBeCloseTo(want, 2); // 1e-8° is about a millimetre
    expect(f.bbox).toEqual([ring[0]![0], ring[0]![1], ring[2]![0], ring[2]![1]]);
    expect(toGeoJSON([index.image(0)]).features[0]!.properties).not.toHaveProperty("coverage");
    // A sliver of the query area is still some of it: shown as 1e-4, not 0.
    const sliver = index.search({ mercator: [X0 + 383.99, Y0 + 1, X0 + 2_000, Y0 + 2] });
    expect(sliver[0]!.coverage).toBeGreaterThan(0);
    expect(sliver[0]!.coverage).toBeLessThan(5e-5);
    expect(toGeoJSON(sliver).features[0]!.properties.coverage).toBe(1e-4);
  });
});
