import { createHash, createHmac } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  analysisCacheKey,
  analysisIdKey,
  areaHash,
  CACHE_KEY_PREFIX,
  canonicalAnalysisRequest,
  canonicalArea,
  canonicalJson,
  type ModelIdentity,
  RESULT_VERSION,
} from "./cache-key.js";
import { MARKING_CLASS_NAMES, type ResolvedAnalysisRequest } from "./schemas/request.js";

const MODEL: ModelIdentity = { name: "lanesegnet-unet", version: "1.0.0" };

const base: ResolvedAnalysisRequest = {
  area: { type: "bbox", bbox: [153.0245, -27.4709, 153.0265, -27.4693] },
  resolution_m: 0.25,
  classes: ["single_white_solid", "single_white_dashed"],
  providers: ["local", "esri"],
  min_confidence: 0.5,
};

const ID_SECRET = "cache-key-test-secret-0123456789abcdef";
const idKey = analysisIdKey(ID_SECRET);
const key = async (req: ResolvedAnalysisRequest, model = MODEL): Promise<string> =>
  analysisCacheKey(req, model, await idKey);

/** Coordinates on the 1e-7° grid, away from rounding boundaries, so that noise < 2e-8° cannot cross one. */
const gridLon = fc.integer({ min: -1_799_999_999, max: 1_799_999_999 }).map((i) => i / 1e7);
const gridLat = fc.integer({ min: -850_000_000, max: 850_000_000 }).map((i) => i / 1e7);
const noise = fc.double({ min: -2e-8, max: 2e-8, noNaN: true });

/** A convex polygon (points on a circle, counter-clockwise), closed, on the 1e-7° grid. */
const polygonRing = fc
  .tuple(fc.integer({ min: 3, max: 12 }), gridLon, fc.integer({ min: -800_000_000, max: 800_000_000 }))
  .map(([n, lon, latI]) => {
    const lat = latI / 1e7;
    const ring = Array.from({ length: n }, (_, k) => {
      const t = (2 * Math.PI * k) / n;
      return [
        Math.round((lon + 0.001 * Math.cos(t)) * 1e7) / 1e7,
        Math.round((lat + 0.001 * Math.sin(t)) * 1e7) / 1e7,
      ];
    });
    return [...ring, ring[0]!];
  });

describe("canonical JSON", () => {
  it("sorts keys at every level and keeps array order", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, 1], c: null } })).toBe('{"a":{"c":null,"d":[3,1]},"b":1}');
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(RangeError);
  });
});

describe("analysis cache key", () => {
  it("is pinned: the canonical text of one request and its key, HMAC-SHA256 under the id secret (a stored contract)", async () => {
    // A change here makes every stored result unreachable (or makes two requests share one): make
    // it on purpose, with RESULT_VERSION or the key_schema, and write the new values here.
    const canonical =
      '{"area":{"bbox":[1530245000,-274709000,1530265000,-274693000],"type":"bbox"},"classes":["single_white_solid","single_white_dashed"],"key_schema":2,"min_confidence_milli":500,"model":{"name":"lanesegnet-unet","version":"1.0.0"},"providers":["local","esri"],"resolution_mm":250,"result":7}';
    expect(RESULT_VERSION).toBe(7);
    expect(canonicalJson(canonicalAnalysisRequest(base, MODEL))).toBe(canonical);
    const hmac = createHmac("sha256", ID_SECRET).update(canonical).digest("hex");
    expect(hmac).toBe("1c249a3aedaa4670ba4f4c38cc16230f093af1c0ed0e48ea9d1def92a31e47ea");
    const k = await key(base);
    expect(k).toBe(`${CACHE_KEY_PREFIX}${hmac}`);
    expect(k).toMatch(/^analysis:v2:[0-9a-f]{64}$/);
  });

  it("cannot be computed without the secret: another secret gives another id, and the id is no plain hash", async () => {
    const canonical = canonicalJson(canonicalAnalysisRequest(base, MODEL));
    const other = await analysisCacheKey(base, MODEL, await analysisIdKey(`${ID_SECRET}x`));
    expect(other).not.toBe(await key(base));
    expect(await key(base)).not.toBe(CACHE_KEY_PREFIX + createHash("sha256").update(canonical).digest("hex"));
    await expect(analysisIdKey("")).rejects.toThrow(RangeError);
  });

  it("hashes the backend's result version with the request", () => {
    expect(canonicalAnalysisRequest(base, MODEL)).toMatchObject({ result: RESULT_VERSION });
  });

  it("is invariant to object key order", async () => {
    const shuffled = JSON.parse(
      '{"min_confidence":0.5,"providers":["local","esri"],"classes":["single_white_solid","single_white_dashed"],"resolution_m":0.25,"area":{"bbox":[153.0245,-27.4709,153.0265,-27.4693],"type":"bbox"}}',
    ) as ResolvedAnalysisRequest;
    expect(await key(shuffled)).toBe(await key(base));
    expect(await key(base, { version: "1.0.0", name: "lanesegnet-unet" })).toBe(await key(base));
  });

  it("is invariant to float noise below 1e-7°", async () => {
    await fc.assert(
      fc.asyncProperty(gridLon, gridLat, noise, noise, noise, noise, async (w, s, n1, n2, n3, n4) => {
        const a = {
          ...base,
          area: {
            type: "bbox" as const,
            bbox: [w, s, w + 0.001, s + 0.001] as [number, number, number, number],
          },
        };
        const b = {
          ...base,
          area: {
            type: "bbox" as const,
            bbox: [w + n1, s + n2, w + 0.001 + n3, s + 0.001 + n4] as [number, number, number, number],
          },
        };
        expect(canonicalArea(b.area)).toEqual(canonicalArea(a.area));
        expect(await key(b)).toBe(await key(a));
      }),
      { numRuns: 100 },
    );
    // -0 and 0 are the same coordinate.
    expect(canonicalJson(canonicalArea({ type: "bbox", bbox: [-1e-9, 0, 1, 1] }))).toBe(
      canonicalJson(canonicalArea({ type: "bbox", bbox: [0, 0, 1, 1] })),
    );
  });

  it("is invariant to the polygon's start vertex, orientation, float noise and a repeated vertex", async () => {
    await fc.assert(
      fc.asyncProperty(
        polygonRing,
        fc.nat(),
        fc.boolean(),
        noise,
        fc.nat(),
        async (ring, shift, reverse, eps, dup) => {
          const open = ring.slice(0, -1);
          const k = shift % open.length;
          let moved = [...open.slice(k), ...open.slice(0, k)].map(([x, y]) => [x! + eps, y! - eps]);
          if (reverse) moved = moved.reverse();
          // A vertex given twice in a row (GeoJSON allows it) encloses the same area.
          const d = dup % moved.length;
          moved.splice(d, 0, [...moved[d]!]);
          const a = { ...base, area: { type: "Polygon" as const, coordinates: [ring] } };
          const b = { ...base, area: { type: "Polygon" as const, coordinates: [[...moved, moved[0]!]] } };
          expect(await key(b)).toBe(await key(a));
          expect(await areaHash(b.area)).toBe(await areaHash(a.area));
        },
      ),
      { numRuns: 100 },
    );
  });

  it("orients the canonical ring counter-clockwise from its smallest vertex", () => {
    const cw = [
      [10, 10],
      [10, 10.001],
      [10.001, 10.001],
      [10.001, 10],
      [10, 10],
    ];
    expect(canonicalArea({ type: "Polygon", coordinates: [cw] })).toEqual({
      type: "Polygon",
      ring: [
        [100_000_000, 100_000_000],
        [100_010_000, 100_000_000],
        [100_010_000, 100_010_000],
        [100_000_000, 100_010_000],
      ],
    });
  });

  it("is invariant to class order", async () => {
    const reordered = { ...base, classes: ["single_white_dashed", "single_white_solid"] as const };
    expect(await key(reordered)).toBe(await key(base));
  });

  it("differs whenever the result may differ", async () => {
    const k0 = await key(base);
    const variants: ResolvedAnalysisRequest[] = [
      { ...base, area: { type: "bbox", bbox: [153.0245, -27.4709, 153.0265, -27.4692] } },
      { ...base, area: { type: "bbox", bbox: [153.0245002, -27.4709, 153.0265, -27.4693] } },
      { ...base, resolution_m: 0.251 },
      { ...base, classes: ["single_white_solid"] },
      { ...base, classes: MARKING_CLASS_NAMES },
      { ...base, providers: ["esri", "local"] },
      { ...base, providers: ["local"] },
      { ...base, min_confidence: 0.501 },
      {
        ...base,
        area: {
          type: "Polygon",
          coordinates: [
            [
              [153.0245, -27.4709],
              [153.0265, -27.4709],
              [153.0265, -27.4693],
              [153.0245, -27.4693],
              [153.0245, -27.4709],
            ],
          ],
        },
      },
    ];
    const keys = await Promise.all(variants.map((v) => key(v)));
    keys.push(await key(base, { ...MODEL, version: "1.0.1" }), await key(base, { ...MODEL, name: "other" }));
    expect(new Set([k0, ...keys]).size).toBe(keys.length + 1);
  });

  it("rounds resolution to the millimetre and confidence to 1e-3", async () => {
    expect(await key({ ...base, resolution_m: 0.2500004 })).toBe(await key(base));
    expect(await key({ ...base, resolution_m: 0.2496 })).toBe(await key(base));
    expect(await key({ ...base, min_confidence: 0.5000004 })).toBe(await key(base));
    expect(await key({ ...base, min_confidence: 0.4996 })).toBe(await key(base));
  });

  it("gives a short area hash that ignores everything but the area", async () => {
    const h = await areaHash(base.area);
    expect(h).toMatch(/^[0-9a-f]{16}$/);
    expect(await areaHash({ type: "bbox", bbox: [153.0245, -27.4709, 153.0265, -27.4694] })).not.toBe(h);
  });
});
