import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { analysisCacheKey, analysisIdKey } from "../cache-key.js";
import { LANE_CLASS_NAMES } from "../classes.js";
import { LIMITS } from "../limits.js";
import {
  AnalysisRequestSchema,
  analysisRequestSchema,
  MARKING_CLASS_NAMES,
  PolygonAreaSchema,
  resolveAnalysisRequest,
} from "./request.js";

const bbox = { type: "bbox", bbox: [153.0245, -27.4709, 153.0265, -27.4693] };
/** A closed square ring of about 110 m × 110 m. */
const ring = [
  [10, 10],
  [10.001, 10],
  [10.001, 10.001],
  [10, 10.001],
  [10, 10],
];

function issues(body: unknown): { path: string; message: string; code: string }[] {
  const r = AnalysisRequestSchema.safeParse(body);
  if (r.success) return [];
  return r.error.issues.map((i) => ({ path: `/${i.path.join("/")}`, message: i.message, code: i.code }));
}

describe("AnalysisRequestSchema", () => {
  it("accepts a bbox request and a full polygon request", () => {
    expect(AnalysisRequestSchema.parse({ area: bbox })).toEqual({ area: bbox });
    const full = {
      area: {
        type: "Polygon",
        coordinates: [
          [
            [153.0245, -27.4709],
            [153.0255, -27.4709],
            [153.0255, -27.4699],
            [153.0245, -27.4699],
            [153.0245, -27.4709],
          ],
        ],
      },
      resolution_m: 0.1,
      classes: ["double_yellow_solid", "single_white_dashed"],
      providers: ["esri", "local"],
      min_confidence: 0.6,
    };
    expect(AnalysisRequestSchema.parse(full)).toEqual(full);
  });

  it("lists every class but background", () => {
    expect(MARKING_CLASS_NAMES).toEqual(LANE_CLASS_NAMES.slice(1));
  });

  it("rejects unknown fields, wrong types and bad enums", () => {
    expect(issues({ area: bbox, extra: 1 })[0]?.code).toBe("unrecognized_keys");
    expect(issues({ area: { ...bbox, extra: 1 } })[0]?.code).toBe("unrecognized_keys");
    expect(issues({ area: { bbox: bbox.bbox } })[0]?.path).toBe("/area/type");
    expect(issues({ area: { type: "bbox", bbox: [1, 2, 3] } })[0]?.path).toBe("/area/bbox");
    expect(issues({ area: bbox, classes: ["background"] })[0]?.path).toBe("/classes/0");
    expect(issues({ area: bbox, classes: [] })[0]?.path).toBe("/classes");
    expect(issues({ area: bbox, providers: ["google"] })[0]?.path).toBe("/providers/0");
    expect(issues({ area: bbox, min_confidence: 1.5 })[0]?.path).toBe("/min_confidence");
    expect(issues({ area: bbox, resolution_m: "0.3" })[0]?.path).toBe("/resolution_m");
    expect(issues({})[0]?.path).toBe("/area");
    expect(issues(null)).toHaveLength(1);
  });

  it("rejects repeated classes and providers", () => {
    expect(issues({ area: bbox, classes: ["single_white_solid", "single_white_solid"] })[0]?.message).toMatch(
      /must not repeat/,
    );
    expect(issues({ area: bbox, providers: ["esri", "esri"] })[0]?.message).toMatch(/must not repeat/);
  });

  it("rejects resolutions outside the limits", () => {
    expect(issues({ area: bbox, resolution_m: LIMITS.minResolutionM / 2 })[0]?.path).toBe("/resolution_m");
    expect(issues({ area: bbox, resolution_m: LIMITS.maxResolutionM * 2 })[0]?.path).toBe("/resolution_m");
    expect(issues({ area: bbox, resolution_m: 0 })).toHaveLength(1);
  });

  it("rejects bad areas through the geo validation, with JSON paths", () => {
    const anti = issues({ area: { type: "bbox", bbox: [179.9, 0, -179.9, 0.01] } });
    expect(anti[0]).toMatchObject({ path: "/area/bbox", code: "custom" });
    expect(anti[0]?.message).toMatch(/antimeridian/);
    expect(issues({ area: { type: "bbox", bbox: [10, 86, 10.01, 86.01] } })[0]?.path).toBe("/area/bbox/1");
    // 1 km x 1 km: fine at 0.5 m, too many pixels at the default 0.25 m.
    const km = { type: "bbox", bbox: [0, 0, 0.009, 0.009] };
    expect(issues({ area: km })[0]?.message).toMatch(/pixels/);
    expect(issues({ area: km, resolution_m: 0.5 })).toEqual([]);
    // A bad resolution does not hide the area's own problems.
    const both = issues({ area: { type: "bbox", bbox: [10, 10, 10, 10.01] }, resolution_m: 99 });
    expect(both.map((i) => i.path).sort()).toEqual(["/area/bbox", "/resolution_m"]);
  });

  it("tells an area over the km² limit the pixel bound at its resolution, and what a coarser one allows", () => {
    const schema = analysisRequestSchema({ coarsestAnalysedM: 0.35 });
    const message = (resolution_m?: number) => {
      const r = schema.safeParse({
        area: { type: "bbox", bbox: [-121.6, 38.5, -121.5, 38.6] },
        ...(resolution_m === undefined ? {} : { resolution_m }),
      });
      return r.success ? null : r.error.issues.map((i) => i.message);
    };
    expect(message(0.1)).toEqual([
      expect.stringMatching(
        /^the area is 96\.\d+ km²; at 0\.1 m\/px at most 8,388,608 pixels are allowed, a bounding box of about 0\.08 km² \(and never more than 10 km²\); a coarser resolution_m allows more: a bounding box of about 1\.02 km² at 0\.35 m\/px$/,
      ),
    ]);
    // At (or beyond) the coarsest analysed resolution there is nothing coarser to offer.
    expect(message(2)).toEqual([
      expect.stringMatching(
        /at 0\.35 m\/px at most 8,388,608 pixels are allowed, a bounding box of about 1\.02 km² \(and never more than 10 km²\)$/,
      ),
    ]);
  });

  it("applies the area limits at the model's coarsest analysed resolution when given one", () => {
    const schema = analysisRequestSchema({ coarsestAnalysedM: 0.35 });
    const problems = (body: unknown) => {
      const r = schema.safeParse(body);
      return r.success ? [] : r.error.issues.map((i) => i.message);
    };
    // About 2 km x 1.7 km: fine at 1 m/px on its own, but analysed at 0.35 it is ~27 Mpx.
    const large = { type: "bbox", bbox: [-121.51, 38.57, -121.49, 38.585] };
    expect(issues({ area: large, resolution_m: 1 })).toEqual([]);
    const [coarse] = problems({ area: large, resolution_m: 1 });
    expect(coarse).toMatch(
      /^at 0\.35 m\/px .* pixels; at most 8,388,608 are allowed: no coarser resolution_m helps/,
    );
    // Finer than the model's coarsest, a coarser resolution_m still cannot help this area...
    const [fine] = problems({ area: large, resolution_m: 0.25 });
    expect(fine).toMatch(/^at 0\.25 m\/px .* no coarser resolution_m helps \(0\.35 m\/px is the coarsest/);
    // ...but it helps one that fits at 0.35 m/px (~0.5 km²: 9 Mpx at 0.25, 4.6 Mpx at 0.35).
    const medium = { type: "bbox", bbox: [-121.51, 38.57, -121.5018, 38.5772] };
    expect(problems({ area: medium, resolution_m: 0.35 })).toEqual([]);
    expect(problems({ area: medium, resolution_m: 0.25 })[0]).toMatch(/use a coarser resolution_m/);
    // A small area passes at any resolution.
    expect(problems({ area: bbox, resolution_m: 2 })).toEqual([]);
  });

  it("applies the area limits at the model's finest analysed resolution to a finer request", () => {
    // ~0.04 km²: 15 Mpx at 0.05 m/px (refused), but the model analyses it at 0.08025 (6 Mpx).
    const small = { type: "bbox", bbox: [-121.51, 38.57, -121.5078, 38.5718] };
    const finer = (options: Parameters<typeof analysisRequestSchema>[0]) =>
      analysisRequestSchema(options).safeParse({ area: small, resolution_m: 0.05 }).success;
    expect(finer({})).toBe(false);
    expect(finer({ finestAnalysedM: 0.08025, coarsestAnalysedM: 0.34984 })).toBe(true);
  });

  it("says what an area of another GeoJSON type should be", () => {
    expect(issues({ area: { type: "MultiPolygon", coordinates: [] } })).toEqual([
      {
        path: "/area/type",
        code: "invalid_union",
        message:
          'area.type must be "bbox" or "Polygon": a MultiPolygon is not supported; send each polygon as its own request',
      },
    ]);
    expect(issues({ area: { type: "Feature", geometry: {} } })[0]?.message).toMatch(
      /send the Polygon geometry itself, not a Feature$/,
    );
    expect(issues({ area: { type: "circle" } })[0]?.message).toBe(
      'area.type must be "bbox" or "Polygon", got "circle"',
    );
  });

  it("says what a bbox is when it is not 4 items", () => {
    const bboxIssue = (bbox: unknown) =>
      issues({ area: { type: "bbox", bbox } }).map((i) => [i.path, i.message]);
    expect(bboxIssue([1, 2, 3])).toEqual([
      ["/area/bbox", "bbox must be 4 numbers [west, south, east, north], got 3 items"],
    ]);
    expect(bboxIssue([1, 2, 3, 4, 5])).toEqual([
      ["/area/bbox", "bbox must be 4 numbers [west, south, east, north], got 5 items"],
    ]);
    expect(bboxIssue("x")).toEqual([["/area/bbox", "bbox must be 4 numbers [west, south, east, north]"]]);
  });

  it("says what an area is when it is missing or not an object", () => {
    const shapes = '{"type":"bbox","bbox":[west,south,east,north]} or a GeoJSON Polygon';
    expect(issues({}).map((i) => [i.path, i.message])).toEqual([["/area", `area is required: ${shapes}`]]);
    for (const area of [5, "x", null, [1, 2, 3, 4]]) {
      expect(issues({ area }).map((i) => i.message)).toEqual([`area must be an object: ${shapes}`]);
    }
  });

  it("rejects polygons with holes, too many vertices or self-intersections", () => {
    expect(issues({ area: { type: "Polygon", coordinates: [ring, ring] } })[0]?.message).toMatch(/holes/);
    expect(issues({ area: { type: "Polygon", coordinates: [] } })[0]?.message).toBe(
      "coordinates must hold one linear ring: [[[lon, lat], …]]",
    );
    // Not an array: the type error alone (its length read as a count of rings said "holes").
    expect(issues({ area: { type: "Polygon", coordinates: "ab" } }).map((i) => i.message)).toEqual([
      "Invalid input: expected array, received string",
    ]);
    const many = Array.from({ length: LIMITS.maxPolygonVertices + 2 }, () => [10, 10]);
    expect(issues({ area: { type: "Polygon", coordinates: [many] } })[0]).toMatchObject({
      path: "/area/coordinates/0",
      message: `the ring has too many positions: at most ${LIMITS.maxPolygonVertices} vertices (and the closing position) are allowed`,
    });
    const bowTie = [
      [10, 10],
      [10.001, 10.001],
      [10.001, 10],
      [10, 10.001],
      [10, 10],
    ];
    expect(issues({ area: { type: "Polygon", coordinates: [bowTie] } })[0]?.message).toMatch(
      /intersects itself/,
    );
    expect(
      issues({ area: { type: "Polygon", coordinates: [ring], bbox: [10, 10, 10.001, 10.001] } }),
    ).toEqual([]);
  });

  it("takes a polygon's bbox member of 4 or 6 numbers and refuses any other", () => {
    const withBbox = (b: unknown) => issues({ area: { type: "Polygon", coordinates: [ring], bbox: b } });
    expect(withBbox([10, 10, 0, 10.001, 10.001, 0])).toEqual([]);
    for (const n of [0, 2, 3, 5, 7]) {
      expect(withBbox(Array.from({ length: n }, () => 10))).toEqual([
        {
          path: "/area/bbox",
          code: "custom",
          message: `a Polygon's bbox member must be 4 numbers [west, south, east, north] or 6 with altitudes (RFC 7946 §5), got ${n} items; it may be left out`,
        },
      ]);
    }
    expect(withBbox([10, 10, "x", 10])[0]).toMatchObject({ path: "/area/bbox/2", code: "invalid_type" });
    // The published schema says the same: 4 or 6 items, not anything from 4 to 6.
    expect(JSON.stringify(z.toJSONSchema(PolygonAreaSchema))).toContain(
      '"bbox":{"type":"array","items":{"type":"number"},"anyOf":[{"minItems":4,"maxItems":4},{"minItems":6,"maxItems":6}]',
    );
  });
});

describe("resolveAnalysisRequest", () => {
  it("resolves a resolution coarser than the model's coarsest to it, and keeps finer ones", () => {
    const defaults = { providers: ["esri"] as const, minConfidence: 0.5, coarsestAnalysedM: 0.35 };
    const at = (resolution_m: number) =>
      resolveAnalysisRequest({ area: bbox as never, resolution_m }, defaults).resolution_m;
    expect([at(0.5), at(1), at(2), at(0.35), at(0.2)]).toEqual([0.35, 0.35, 0.35, 0.35, 0.2]);
    const both = { ...defaults, finestAnalysedM: 0.08025 };
    const within = (resolution_m: number) =>
      resolveAnalysisRequest({ area: bbox as never, resolution_m }, both).resolution_m;
    expect([within(0.05), within(0.08), within(0.1), within(1)]).toEqual([0.08025, 0.08025, 0.1, 0.35]);
    const { coarsestAnalysedM: _unset, ...unbounded } = defaults;
    expect(resolveAnalysisRequest({ area: bbox as never, resolution_m: 1 }, unbounded).resolution_m).toBe(1);
  });

  it("fills defaults and orders classes by id, keeping the provider order", () => {
    const defaults = { providers: ["local", "esri"] as const, minConfidence: 0.5 };
    expect(resolveAnalysisRequest({ area: bbox as never }, defaults)).toEqual({
      area: bbox,
      resolution_m: LIMITS.defaultResolutionM,
      classes: MARKING_CLASS_NAMES,
      providers: ["local", "esri"],
      min_confidence: 0.5,
    });
    const r = resolveAnalysisRequest(
      {
        area: bbox as never,
        classes: ["double_yellow_solid", "single_white_solid"],
        providers: ["mapbox", "local"],
        min_confidence: 0.7,
        resolution_m: 0.3,
      },
      defaults,
    );
    expect(r.classes).toEqual(["single_white_solid", "double_yellow_solid"]);
    expect(r.providers).toEqual(["mapbox", "local"]);
    expect(r.min_confidence).toBe(0.7);
    expect(r.resolution_m).toBe(0.3);
  });
});

describe("what the cache key hashes is what the backend runs", () => {
  const defaults = { providers: ["esri"] as const, minConfidence: 0.5 };
  const model = { name: "m", version: "1" };
  const resolve = (resolution_m: number, min_confidence: number) =>
    resolveAnalysisRequest({ area: bbox as never, resolution_m, min_confidence }, defaults);

  it("honours resolution to the millimetre and confidence to 0.001", () => {
    expect(resolve(0.2504, 0.5004)).toMatchObject({ resolution_m: 0.25, min_confidence: 0.5 });
    expect(resolve(0.2506, 0.5006)).toMatchObject({ resolution_m: 0.251, min_confidence: 0.501 });
    expect(resolve(LIMITS.minResolutionM + 0.0004, 0).resolution_m).toBe(LIMITS.minResolutionM);
  });

  it("two requests share a key exactly when the resolved requests the backend gets are equal", async () => {
    const resolution = fc.double({ min: LIMITS.minResolutionM, max: LIMITS.maxResolutionM, noNaN: true });
    const confidence = fc.double({ min: 0, max: 1, noNaN: true });
    // Near neighbours of the rounding boundaries are where a mismatch would show.
    const nudge = fc.constantFrom(0, 0.0004, -0.0004, 0.0006, 1e-9, -1e-9);
    await fc.assert(
      fc.asyncProperty(resolution, confidence, nudge, nudge, async (r, c, dr, dc) => {
        const r2 = Math.min(LIMITS.maxResolutionM, Math.max(LIMITS.minResolutionM, r + dr));
        const c2 = Math.min(1, Math.max(0, c + dc));
        const a = resolve(r, c);
        const b = resolve(r2, c2);
        const idKey = await analysisIdKey("request-test-secret");
        const sameKey =
          (await analysisCacheKey(a, model, idKey)) === (await analysisCacheKey(b, model, idKey));
        const sameRun = a.resolution_m === b.resolution_m && a.min_confidence === b.min_confidence;
        expect(sameKey).toBe(sameRun);
      }),
      { numRuns: 300 },
    );
  });
});
