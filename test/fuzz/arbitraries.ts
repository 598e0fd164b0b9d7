/**
 * fast-check generators of hostile and near-valid input for the edge and the backend: analysis
 * requests that are sometimes valid and mostly subtly wrong (numbers out of range, wrong types,
 * degenerate or huge areas, unknown members), arbitrary JSON, broken JSON and raw bytes.
 */
import { MARKING_CLASS_NAMES } from "@lanesegnet/shared";
import fc from "fast-check";

/** How many cases a fuzz file runs: FUZZ_RUNS (default `fallback`). */
export function fuzzRuns(fallback: number): number {
  const n = Number(process.env.FUZZ_RUNS);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}

/** Printable ASCII (valid in a header value). */
export const printable = (maxLength = 40) =>
  fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength });

const anyNumber = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: -200, max: 200, noNaN: true }),
  fc.integer({ min: -1000, max: 1000 }),
  fc.constantFrom(0, -0, 180, -180, 90, -90, 85.0511287798, 1e-9, 1e308, 5e-324),
);
const lon = fc.double({ min: -180, max: 180, noNaN: true });
const lat = fc.double({ min: -85, max: 85, noNaN: true });
const span = fc.double({ min: 1e-6, max: 0.05, noNaN: true });

/** Mostly small, plausible boxes (many valid), else any four numbers, else the wrong arity. */
const bbox = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(lon, lat, span, span).map(([w, s, dx, dy]) => [w, s, w + dx, s + dy]) },
  { weight: 2, arbitrary: fc.tuple(anyNumber, anyNumber, anyNumber, anyNumber) },
  { weight: 1, arbitrary: fc.array(anyNumber, { maxLength: 7 }) },
  { weight: 1, arbitrary: fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 5 }) },
);

/** A ring around a centre (closed or not, sometimes self-crossing), or any nested numbers. */
const ring = fc.oneof(
  {
    weight: 3,
    arbitrary: fc
      .tuple(
        lon,
        lat,
        fc.array(fc.tuple(fc.double({ min: 0, max: 6.3, noNaN: true }), span), {
          minLength: 0,
          maxLength: 12,
        }),
        fc.boolean(),
      )
      .map(([x, y, pts, close]) => {
        const ring = pts.map(([a, r]) => [x + r * Math.cos(a), y + r * Math.sin(a)]);
        if (close && ring.length > 0) ring.push([...ring[0]!]);
        return ring;
      }),
  },
  { weight: 1, arbitrary: fc.array(fc.array(anyNumber, { maxLength: 4 }), { maxLength: 10 }) },
);

const area = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant("bbox"), bbox }) },
  {
    weight: 3,
    arbitrary: fc.record({
      type: fc.constant("Polygon"),
      coordinates: fc.array(ring, { minLength: 0, maxLength: 2 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record(
      {
        type: fc.oneof(fc.constantFrom("bbox", "Polygon", "MultiPolygon", "Point", ""), printable(10)),
        bbox,
        coordinates: fc.jsonValue({ maxDepth: 3 }),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }) },
);

const classNames = fc.constantFrom(
  ...MARKING_CLASS_NAMES,
  "background",
  "SINGLE_WHITE_SOLID",
  "",
  "__proto__",
);
const providerNames = fc.constantFrom("local", "esri", "mapbox", "gee", "google", "", "constructor");

/** An analysis request object: each member present or not, usually well-typed, often out of range. */
export const analysisRequest = fc
  .tuple(
    fc.record(
      {
        area,
        resolution_m: fc.oneof(
          fc.double({ min: -1, max: 5, noNaN: true }),
          fc.constantFrom(0.05, 0.25, 2),
          fc.jsonValue({ maxDepth: 1 }),
        ),
        classes: fc.oneof(
          fc.uniqueArray(classNames, { maxLength: 7 }),
          fc.array(classNames, { maxLength: 4 }),
          fc.jsonValue({ maxDepth: 1 }),
        ),
        providers: fc.oneof(
          fc.uniqueArray(providerNames, { maxLength: 5 }),
          fc.array(providerNames, { maxLength: 3 }),
          fc.jsonValue({ maxDepth: 1 }),
        ),
        min_confidence: fc.oneof(fc.double({ min: -1, max: 2, noNaN: true }), fc.jsonValue({ maxDepth: 1 })),
      },
      { requiredKeys: ["area"] },
    ),
    fc.option(fc.dictionary(printable(12), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 }), { freq: 6 }),
  )
  .map(([req, extra]) => (extra ? { ...extra, ...req } : req));

/** A request the API almost always accepts (small area, options in range; a few straddle the antimeridian or are too narrow). */
export const validRequest = fc.record(
  {
    area: fc.oneof(
      fc
        .tuple(
          lon,
          lat,
          fc.double({ min: 2e-4, max: 4e-3, noNaN: true }),
          fc.double({ min: 2e-4, max: 4e-3, noNaN: true }),
        )
        .map(([w, s, dx, dy]) => ({ type: "bbox", bbox: [w, s, w + dx, s + dy] })),
      fc.tuple(lon, lat, fc.double({ min: 2e-4, max: 2e-3, noNaN: true })).map(([x, y, r]) => ({
        type: "Polygon",
        coordinates: [
          [
            [x, y],
            [x + r, y],
            [x + r, y + r],
            [x, y + r],
            [x, y],
          ],
        ],
      })),
    ),
    resolution_m: fc.double({ min: 0.25, max: 2, noNaN: true }),
    classes: fc.uniqueArray(fc.constantFrom(...MARKING_CLASS_NAMES), { minLength: 1, maxLength: 6 }),
    providers: fc.uniqueArray(fc.constantFrom("local", "esri", "mapbox", "gee"), {
      minLength: 1,
      maxLength: 4,
    }),
    min_confidence: fc.double({ min: 0, max: 1, noNaN: true }),
  },
  { requiredKeys: ["area"] },
);

/** Break a JSON text: cut it, or insert / delete / replace one character. */
const mangled = fc
  .tuple(
    analysisRequest,
    fc.nat(),
    fc.constantFrom("cut", "insert", "delete", "replace"),
    fc.constantFrom("{", "}", '"', ",", ":", "\\", "\u0000", "\uD800", "]", "9"),
  )
  .map(([req, at, how, ch]) => {
    const text = JSON.stringify(req);
    const i = at % (text.length + 1);
    if (how === "cut") return text.slice(0, i);
    if (how === "insert") return text.slice(0, i) + ch + text.slice(i);
    if (how === "delete") return text.slice(0, i) + text.slice(i + 1);
    return text.slice(0, i) + ch + text.slice(i + 1);
  });

/** A request body: near-valid requests most often, then any JSON, broken JSON, text and bytes. */
export const body: fc.Arbitrary<string | Uint8Array<ArrayBuffer>> = fc.oneof(
  { weight: 10, arbitrary: analysisRequest.map((r) => JSON.stringify(r)) },
  { weight: 3, arbitrary: validRequest.map((r) => JSON.stringify(r)) },
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v) ?? "") },
  { weight: 3, arbitrary: mangled },
  { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 200 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      "",
      "null",
      "[]",
      "{}",
      '{"area":null}',
      "1e999",
      '"\\u0000"',
      `{"area":${"[".repeat(2000)}`,
    ),
  },
);
