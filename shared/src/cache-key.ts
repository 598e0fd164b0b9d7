/**
 * The canonical cache key of an analysis. Two requests share a key exactly when they must share a
 * result: coordinates are compared at 1e-7° (about 1 cm), a polygon's start vertex and orientation
 * do not matter, nor does the order of classes; the provider order does (it decides which imagery
 * is used), and so do the model (a new model never serves stale results), the backend's result
 * version and the key schema.
 *
 * The key's hex part is the public analysis id, so it is an HMAC of the canonical request under a
 * server secret, not a plain hash: results are shared by everyone who asks the same question (a
 * hit may come from another user's request), but an id cannot be computed from a request outside
 * the service, so GET /v1/analyses/{id} neither tells anyone whether an area was analysed nor
 * reads another user's result without being handed its id.
 */
import { LANE_CLASS_NAMES } from "./classes.js";
import { bytesToHex, sha256Hex, toBytes } from "./crypto.js";
import type { Area, ResolvedAnalysisRequest } from "./schemas/request.js";

/**
 * Bump when the canonical form or the key's derivation changes, so old entries are never read with
 * a new meaning (2: ids became HMACs; a version-1 id was a plain SHA-256 anyone could compute).
 */
export const CACHE_KEY_SCHEMA_VERSION = 2;
export const CACHE_KEY_PREFIX = `analysis:v${CACHE_KEY_SCHEMA_VERSION}:`;

/**
 * Version of what the backend makes of a request besides the model (imagery fetch, vectoriser,
 * physics rules, response fields). Bump it with any change that can give the same request another
 * answer: it is in every key, so results cached before the change are never served after it (they
 * would be for CACHE_TTL_S, 30 days). scripts/guard/result-version.test.ts fails when the backend
 * sources that decide an answer change, as a reminder. (4: `analysis.request.area` leaves out a
 * polygon's bbox member and altitudes, which the key never held; 5: `width_resolved` counts the
 * imagery's own pixels where the imagery is coarser than the analysed grid; 6: dash statistics
 * whose mean could not be measured are withdrawn instead of reported as `null`, and a polygon is
 * echoed as the key holds it, counter-clockwise; 7: a clipped piece lying in a bridged gap
 * (or holding under a pixel of paint) keeps its line's width and confidence instead of 0.001 m
 * and 0.)
 */
export const RESULT_VERSION = 7;

/** Coordinates are compared in units of 1e-7 degree (1.1 cm of latitude). */
const COORD_SCALE = 1e7;

export interface ModelIdentity {
  readonly name: string;
  readonly version: string;
}

type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

/** JSON with object keys sorted at every level; arrays keep their order. */
export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value))
      throw new RangeError("non-finite number in key");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v: Json) => canonicalJson(v)).join(",")}]`;
  const obj = value as { readonly [k: string]: Json };
  const keys = Object.keys(obj).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k]!)}`).join(",")}}`;
}

// Math.round gives -0 for small negatives; `+ 0` turns it into 0 so both print as "0".
const roundCoord = (deg: number): number => Math.round(deg * COORD_SCALE) + 0;

/** A coordinate as the key compares it, in degrees: what two requests sharing a result agree on. */
export const keyedDegrees = (deg: number): number => roundCoord(deg) / COORD_SCALE;

/** The area in canonical form: integer 1e-7° units; a polygon as an open CCW ring from its smallest vertex. */
export function canonicalArea(area: Area): Json {
  if (area.type === "bbox") return { type: "bbox", bbox: area.bbox.map(roundCoord) };
  const ring = area.coordinates[0] ?? [];
  const pts: [number, number][] = [];
  for (const p of ring) {
    const q: [number, number] = [roundCoord(p[0] ?? Number.NaN), roundCoord(p[1] ?? Number.NaN)];
    const prev = pts[pts.length - 1];
    if (!prev || prev[0] !== q[0] || prev[1] !== q[1]) pts.push(q);
  }
  // Drop the closing position (and any repeats of the start that rounding produced at the end).
  while (pts.length > 1 && pts[0]![0] === pts[pts.length - 1]![0] && pts[0]![1] === pts[pts.length - 1]![1]) {
    pts.pop();
  }
  if (signedArea2(pts) < 0) pts.reverse();
  let start = 0;
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i]!;
    const b = pts[start]!;
    if (a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])) start = i;
  }
  return { type: "Polygon", ring: [...pts.slice(start), ...pts.slice(0, start)] };
}

/**
 * A polygon area as results echo it (analysis.request.area): the canonical ring in degrees,
 * closed, counter-clockwise as RFC 7946 §3.1.6 asks of an exterior ring, from its westernmost
 * vertex (the southernmost of those). Every request that shares a result (one key) reads the same ring, whichever vertex or
 * direction it was sent with.
 */
export function answeredPolygon(
  area: Extract<Area, { type: "Polygon" }>,
): Extract<Area, { type: "Polygon" }> {
  const { ring } = canonicalArea(area) as { ring: [number, number][] };
  const open = ring.map(([x, y]): [number, number] => [x / COORD_SCALE, y / COORD_SCALE]);
  return { type: "Polygon", coordinates: [[...open, open[0]!]] };
}

/** Twice the planar signed area (positive = counter-clockwise), relative to the first vertex. */
function signedArea2(pts: readonly (readonly [number, number])[]): number {
  if (pts.length < 3) return 0;
  const [ox, oy] = pts[0]!;
  let s = 0;
  for (let i = 0; i < pts.length; i++) {
    const a = pts[i]!;
    const b = pts[(i + 1) % pts.length]!;
    s += (a[0] - ox) * (b[1] - oy) - (b[0] - ox) * (a[1] - oy);
  }
  return s;
}

/** The whole request in canonical form, as it is hashed. */
export function canonicalAnalysisRequest(req: ResolvedAnalysisRequest, model: ModelIdentity): Json {
  const classes = [...new Set(req.classes)].sort(
    (a, b) => LANE_CLASS_NAMES.indexOf(a) - LANE_CLASS_NAMES.indexOf(b),
  );
  return {
    key_schema: CACHE_KEY_SCHEMA_VERSION,
    result: RESULT_VERSION,
    model: { name: model.name, version: model.version },
    area: canonicalArea(req.area),
    resolution_mm: Math.round(req.resolution_m * 1000),
    classes,
    providers: [...req.providers],
    min_confidence_milli: Math.round(req.min_confidence * 1000),
  };
}

/** The secret key analysis ids are made with (import once; a CryptoKey is reusable). */
export async function analysisIdKey(secret: string): Promise<CryptoKey> {
  if (secret.length === 0) throw new RangeError("the analysis id secret is empty");
  return crypto.subtle.importKey("raw", toBytes(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

/** `analysis:v2:<HMAC-SHA256 hex>` of the canonical request under `idKey` (see analysisIdKey). */
export async function analysisCacheKey(
  req: ResolvedAnalysisRequest,
  model: ModelIdentity,
  idKey: CryptoKey,
): Promise<string> {
  const canonical = toBytes(canonicalJson(canonicalAnalysisRequest(req, model)));
  return CACHE_KEY_PREFIX + bytesToHex(new Uint8Array(await crypto.subtle.sign("HMAC", idKey, canonical)));
}

/** A short, stable hash of the area alone (16 hex chars) for audit logs: no coordinates in logs. */
export async function areaHash(area: Area): Promise<string> {
  return (await sha256Hex(canonicalJson(canonicalArea(area)))).slice(0, 16);
}
