/**
 * Validation of a requested area (bbox or GeoJSON Polygon) against coordinate rules (RFC 7946,
 * Web Mercator's latitude limit) and the work limits in limits.ts. Never throws for user input:
 * it returns every problem found, each with a human message and a JSON-Pointer field path.
 */
import { type PathSegment, toJsonPointer } from "../json-pointer.js";
import { LIMITS, type Limits } from "../limits.js";
import { positionsBbox } from "./bbox.js";
import { bboxArea, bboxSidesM, type LonLat, ringArea } from "./geodesic.js";
import { gridForBbox } from "./grid.js";
import type { MercatorGrid } from "./mercator.js";
import { MAX_LATITUDE } from "./mercator.js";
import type { LonLatBbox } from "./tiles.js";

/** Structural input; the zod schema already guarantees it, but validateArea re-checks every value. */
export type AreaInput =
  | { readonly type: "bbox"; readonly bbox: readonly number[] }
  | { readonly type: "Polygon"; readonly coordinates: readonly (readonly (readonly number[])[])[] };

export type AreaIssueCode =
  | "invalid_structure"
  | "out_of_range"
  | "antimeridian"
  | "degenerate"
  | "not_closed"
  | "too_few_positions"
  | "too_many_vertices"
  | "holes_unsupported"
  | "self_intersection"
  | "too_small"
  | "too_large"
  | "too_many_pixels"
  | "too_long";

export interface AreaIssue {
  readonly code: AreaIssueCode;
  /** JSON Pointer of the offending field, e.g. "/area/coordinates/0/3/1". */
  readonly path: string;
  readonly segments: readonly PathSegment[];
  readonly message: string;
}

export interface ValidatedArea {
  readonly kind: "bbox" | "polygon";
  /** The area's lon/lat bounding box (for a polygon, of its exterior ring). */
  readonly bbox: LonLatBbox;
  /** Geodesic area in m². */
  readonly areaM2: number;
  /** Ground width and height of the bbox through its centre, metres. */
  readonly widthM: number;
  readonly heightM: number;
  /** The raster of the bbox at the requested resolution (see gridForBbox). */
  readonly grid: MercatorGrid;
  readonly pixels: number;
}

export type AreaValidation =
  | { readonly ok: true; readonly value: ValidatedArea }
  | { readonly ok: false; readonly issues: readonly AreaIssue[] };

export interface ValidateAreaOptions {
  /** Ground resolution the area will be analysed at, m/px (default LIMITS.defaultResolutionM). */
  readonly resolutionM?: number;
  readonly limits?: Limits;
  /** Prefix for issue paths, e.g. ["area"] when the area sits in a request body. */
  readonly basePath?: readonly PathSegment[];
}

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });

class Issues {
  readonly list: AreaIssue[] = [];
  constructor(private readonly base: readonly PathSegment[]) {}
  add(code: AreaIssueCode, rel: readonly PathSegment[], message: string): void {
    const segments = [...this.base, ...rel];
    this.list.push({ code, segments, path: toJsonPointer(segments), message });
  }
  get any(): boolean {
    return this.list.length > 0;
  }
}

export function validateArea(area: AreaInput, options: ValidateAreaOptions = {}): AreaValidation {
  const issues = new Issues(options.basePath ?? []);
  const limits = options.limits ?? LIMITS;
  const resolutionM = options.resolutionM ?? limits.defaultResolutionM;
  // The resolution is not part of the area: whoever calls this has validated it (a programming error).
  if (!(resolutionM > 0 && Number.isFinite(resolutionM))) {
    throw new RangeError(`resolutionM must be a positive finite number, got ${resolutionM}`);
  }
  if (area.type === "bbox") return validateBbox(area.bbox, resolutionM, limits, issues);
  if (area.type === "Polygon") return validatePolygon(area.coordinates, resolutionM, limits, issues);
  issues.add("invalid_structure", ["type"], 'area type must be "bbox" or "Polygon"');
  return { ok: false, issues: issues.list };
}

function validateBbox(
  bbox: readonly number[],
  resolutionM: number,
  limits: Limits,
  issues: Issues,
): AreaValidation {
  if (bbox.length !== 4 || !bbox.every(Number.isFinite)) {
    issues.add("invalid_structure", ["bbox"], "bbox must be 4 finite numbers [west, south, east, north]");
    return { ok: false, issues: issues.list };
  }
  const [west, south, east, north] = bbox as [number, number, number, number];
  checkLon(west, ["bbox", 0], issues);
  checkLat(south, ["bbox", 1], issues);
  checkLon(east, ["bbox", 2], issues);
  checkLat(north, ["bbox", 3], issues);
  if (issues.any) return { ok: false, issues: issues.list };
  if (west > east) {
    issues.add(
      "antimeridian",
      ["bbox"],
      // Usually west and east swapped; only a box near ±180° can mean a crossing.
      `west (${west}) is greater than east (${east}): a bbox is [west, south, east, north] with west < east` +
        (west > 90 && east < -90
          ? "; areas crossing the antimeridian (180°) are not supported: split the area into two requests at 180°"
          : ""),
    );
  } else if (west === east) {
    issues.add("degenerate", ["bbox"], "west and east are equal: the bbox has no width");
  }
  if (south > north) {
    issues.add("out_of_range", ["bbox"], `south (${south}) must be less than north (${north})`);
  } else if (south === north) {
    issues.add("degenerate", ["bbox"], "south and north are equal: the bbox has no height");
  }
  if (issues.any) return { ok: false, issues: issues.list };
  const box: LonLatBbox = [west, south, east, north];
  return checkSize("bbox", box, bboxArea(box), resolutionM, limits, issues, ["bbox"]);
}

function validatePolygon(
  coordinates: readonly (readonly (readonly number[])[])[],
  resolutionM: number,
  limits: Limits,
  issues: Issues,
): AreaValidation {
  if (!Array.isArray(coordinates) || coordinates.length === 0) {
    issues.add("invalid_structure", ["coordinates"], "a Polygon needs one linear ring");
    return { ok: false, issues: issues.list };
  }
  if (coordinates.length > 1) {
    issues.add(
      "holes_unsupported",
      ["coordinates"],
      "polygons with holes (interior rings) are not supported: send only the exterior ring",
    );
    return { ok: false, issues: issues.list };
  }
  const ring = coordinates[0]!;
  if (!Array.isArray(ring)) {
    issues.add("invalid_structure", ["coordinates", 0], "a linear ring must be an array of positions");
    return { ok: false, issues: issues.list };
  }
  // Bound all later work (including the O(n²) intersection test) before touching the positions.
  if (ring.length - 1 > limits.maxPolygonVertices) {
    issues.add(
      "too_many_vertices",
      ["coordinates", 0],
      `the ring has ${ring.length - 1} vertices; at most ${limits.maxPolygonVertices} are allowed`,
    );
    return { ok: false, issues: issues.list };
  }
  if (ring.length < 4) {
    const [a, z] = [ring[0], ring[ring.length - 1]];
    const open = Array.isArray(a) && Array.isArray(z) && (a[0] !== z[0] || a[1] !== z[1]);
    issues.add(
      "too_few_positions",
      ["coordinates", 0],
      `a linear ring needs at least 4 positions (3 vertices and the closing position), got ${ring.length}${open ? ": the closing position, equal to the first, is missing" : ""}`,
    );
    return { ok: false, issues: issues.list };
  }
  ring.forEach((p, i) => {
    if (!Array.isArray(p) || p.length < 2 || p.length > 3 || !p.every(Number.isFinite)) {
      issues.add(
        "invalid_structure",
        ["coordinates", 0, i],
        "a position must be [lon, lat] or [lon, lat, alt] of finite numbers",
      );
      return;
    }
    checkLon(p[0]!, ["coordinates", 0, i, 0], issues);
    checkLat(p[1]!, ["coordinates", 0, i, 1], issues);
  });
  if (issues.any) return { ok: false, issues: issues.list };

  const pts = ring as readonly LonLat[];
  const first = pts[0]!;
  const last = pts[pts.length - 1]!;
  if (first[0] !== last[0] || first[1] !== last[1]) {
    issues.add(
      "not_closed",
      ["coordinates", 0, pts.length - 1],
      "the ring is not closed: its last position must equal its first (RFC 7946)",
    );
    return { ok: false, issues: issues.list };
  }
  // RFC 7946 §3.1.6: the ends "MUST contain identical values", altitude included. Altitude is
  // otherwise ignored, but ends that differ in it are most likely two different points.
  const [firstAlt, lastAlt] = [
    (ring[0] as readonly number[])[2],
    (ring[ring.length - 1] as readonly number[])[2],
  ];
  if (firstAlt !== lastAlt) {
    issues.add(
      "not_closed",
      ["coordinates", 0, pts.length - 1],
      "the ring is not closed: its last position must equal its first, altitude included (RFC 7946)",
    );
    return { ok: false, issues: issues.list };
  }
  for (let i = 1; i < pts.length; i++) {
    if (Math.abs(pts[i]![0] - pts[i - 1]![0]) > 180) {
      issues.add(
        "antimeridian",
        ["coordinates", 0, i],
        "an edge spans more than 180° of longitude: areas crossing the antimeridian (180°) are not supported; split the polygon at 180° into two requests",
      );
      return { ok: false, issues: issues.list };
    }
  }

  const vertices = distinctVertices(pts);
  if (vertices.length < 3 || isCollinear(vertices)) {
    issues.add(
      "degenerate",
      ["coordinates", 0],
      "the ring has no area: it needs 3 or more non-collinear vertices",
    );
    return { ok: false, issues: issues.list };
  }
  const crossing = findSelfIntersection(vertices);
  if (crossing) {
    issues.add(
      "self_intersection",
      ["coordinates", 0, crossing[1]],
      `the ring intersects itself: edge ${crossing[0]} and edge ${crossing[1]} (edge k runs from position k to k+1) touch or cross`,
    );
    return { ok: false, issues: issues.list };
  }

  return checkSize("polygon", positionsBbox(vertices), ringArea(pts), resolutionM, limits, issues, [
    "coordinates",
  ]);
}

function checkSize(
  kind: "bbox" | "polygon",
  bbox: LonLatBbox,
  areaM2: number,
  resolutionM: number,
  limits: Limits,
  issues: Issues,
  path: readonly PathSegment[],
): AreaValidation {
  const { widthM, heightM } = bboxSidesM(bbox);
  const maxAreaM2 = limits.maxAreaKm2 * 1e6;
  if (areaM2 > maxAreaM2) {
    // Where the pixel limit is the tighter one at this resolution, lead with it: otherwise the
    // client shrinks the area to 10 km² only to be refused again for its pixels. The pixels are
    // those of the bbox's raster, so the figure is a bbox's area, whatever the area's shape.
    const pixelBoundM2 = limits.maxPixels * resolutionM ** 2;
    const area = `the area is ${fmt(areaM2 / 1e6, 3)} km²`;
    issues.add(
      "too_large",
      path,
      pixelBoundM2 < maxAreaM2
        ? `${area}; at ${resolutionM} m/px at most ${fmt(limits.maxPixels)} pixels are allowed, a bounding box of about ${fmt(Math.floor(pixelBoundM2 / 1e4) / 100, 2)} km² (and never more than ${fmt(limits.maxAreaKm2)} km²)`
        : `${area}; at most ${fmt(limits.maxAreaKm2)} km² is allowed`,
    );
  }
  if (Math.min(widthM, heightM) < limits.minSideM) {
    issues.add(
      "too_small",
      path,
      // Rounded down: 9.997 m must not read as 10.00 m against a 10 m minimum.
      `the area is ${fmt(Math.floor(widthM * 100) / 100, 2)} m wide and ${fmt(Math.floor(heightM * 100) / 100, 2)} m high; both must be at least ${fmt(limits.minSideM)} m`,
    );
  } else if (kind === "polygon" && areaM2 < limits.minSideM ** 2) {
    // A polygon's bbox can be large while it encloses almost nothing (a sliver along a diagonal):
    // it must enclose at least what the smallest bbox does.
    issues.add(
      "too_small",
      path,
      `the polygon encloses ${fmt(Math.floor(areaM2 * 100) / 100, 2)} m²; at least ${fmt(limits.minSideM ** 2)} m² (${fmt(limits.minSideM)} m x ${fmt(limits.minSideM)} m) is needed`,
    );
  }
  if (issues.any) return { ok: false, issues: issues.list };
  const grid = gridForBbox(bbox, resolutionM);
  const pixels = grid.width * grid.height;
  if (pixels > limits.maxPixels) {
    issues.add(
      "too_many_pixels",
      path,
      `at ${resolutionM} m/px the area's raster is ${fmt(grid.width)} x ${fmt(grid.height)} = ${fmt(pixels)} pixels; at most ${fmt(limits.maxPixels)} are allowed: use a coarser resolution_m or a smaller area`,
    );
    return { ok: false, issues: issues.list };
  }
  const side = Math.max(grid.width, grid.height);
  if (side > limits.maxSidePx) {
    issues.add(
      "too_long",
      path,
      `at ${resolutionM} m/px the area's raster is ${fmt(grid.width)} x ${fmt(grid.height)} pixels; no side may be longer than ${fmt(limits.maxSidePx)} px (${fmt((limits.maxSidePx * resolutionM) / 1000, 2)} km at this resolution): split the area or use a coarser resolution_m`,
    );
    return { ok: false, issues: issues.list };
  }
  return { ok: true, value: { kind, bbox, areaM2, widthM, heightM, grid, pixels } };
}

function checkLon(lon: number, path: readonly PathSegment[], issues: Issues): void {
  if (!(lon >= -180 && lon <= 180)) {
    issues.add("out_of_range", path, `longitude ${lon} is outside [-180, 180]`);
  }
}

function checkLat(lat: number, path: readonly PathSegment[], issues: Issues): void {
  if (!(lat >= -MAX_LATITUDE && lat <= MAX_LATITUDE)) {
    issues.add(
      "out_of_range",
      path,
      `latitude ${lat} is outside [-${MAX_LATITUDE}, ${MAX_LATITUDE}], the limit of Web Mercator imagery`,
    );
  }
}

/** The ring's vertices without the closing position and without consecutive repeats. */
function distinctVertices(ring: readonly LonLat[]): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < ring.length - 1; i++) {
    const p = ring[i]!;
    const prev = out[out.length - 1];
    if (!prev || prev[0] !== p[0] || prev[1] !== p[1]) out.push([p[0], p[1]]);
  }
  while (out.length > 1 && out[0]![0] === out[out.length - 1]![0] && out[0]![1] === out[out.length - 1]![1]) {
    out.pop();
  }
  return out;
}

/** Whether all vertices lie on one line (within rounding), i.e. the ring encloses nothing. */
function isCollinear(v: readonly [number, number][]): boolean {
  const [ox, oy] = v[0]!;
  // Direction: the vertex farthest from the first one, for the best-conditioned cross products.
  let far = v[0]!;
  let far2 = 0;
  for (const p of v) {
    const d2 = (p[0] - ox) ** 2 + (p[1] - oy) ** 2;
    if (d2 > far2) {
      far = p;
      far2 = d2;
    }
  }
  const dx = far[0] - ox;
  const dy = far[1] - oy;
  // Relative slack, plus the rounding of the differences themselves: x - ox carries an absolute
  // error of about |x|·ε (1e-14° at lon 121), which for a ring of a few hundred metres is more
  // than 1e-12·far² and would let a straight "ring" through as a sliver of area.
  const slack = 1e-12 * far2 + 8 * Number.EPSILON * (Math.abs(ox) + Math.abs(oy) + 1) * Math.sqrt(far2);
  return v.every(([x, y]) => Math.abs(dx * (y - oy) - dy * (x - ox)) <= slack);
}

/**
 * The first pair of edges [i, j] (i < j) of a closed ring that touch or cross where they should not,
 * or null when the ring is simple. Edges are straight in lon/lat, as RFC 7946 defines them. O(n²),
 * bounded by LIMITS.maxPolygonVertices.
 */
export function findSelfIntersection(v: readonly (readonly [number, number])[]): [number, number] | null {
  const n = v.length;
  const [ox, oy] = v[0]!;
  const p = v.map(([x, y]) => [x - ox, y - oy] as const);
  for (let i = 0; i < n; i++) {
    const a = p[i]!;
    const b = p[(i + 1) % n]!;
    for (let j = i + 1; j < n; j++) {
      const c = p[j]!;
      const d = p[(j + 1) % n]!;
      const adjacentNext = j === i + 1; // shares b == c
      const adjacentWrap = i === 0 && j === n - 1; // shares a == d
      if (adjacentNext) {
        // Consecutive edges meet at b; they are bad only if they fold back over each other.
        if (orient(a, b, d) === 0 && onSegment(b, d, a)) return [i, j];
        if (orient(a, b, d) === 0 && onSegment(a, b, d)) return [i, j];
      } else if (adjacentWrap) {
        if (orient(c, d, b) === 0 && onSegment(c, d, b)) return [i, j];
        if (orient(a, b, c) === 0 && onSegment(a, b, c)) return [i, j];
      } else if (segmentsIntersect(a, b, c, d)) {
        return [i, j];
      }
    }
  }
  return null;
}

type Pt = readonly [number, number];

function orient(a: Pt, b: Pt, c: Pt): number {
  const v = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
  return v > 0 ? 1 : v < 0 ? -1 : 0;
}

/** Whether q, known to be collinear with segment ab, lies on it (endpoints included). */
function onSegment(a: Pt, b: Pt, q: Pt): boolean {
  return (
    Math.min(a[0], b[0]) <= q[0] &&
    q[0] <= Math.max(a[0], b[0]) &&
    Math.min(a[1], b[1]) <= q[1] &&
    q[1] <= Math.max(a[1], b[1])
  );
}

function segmentsIntersect(a: Pt, b: Pt, c: Pt, d: Pt): boolean {
  const o1 = orient(a, b, c);
  const o2 = orient(a, b, d);
  const o3 = orient(c, d, a);
  const o4 = orient(c, d, b);
  if (o1 * o2 < 0 && o3 * o4 < 0) return true; // proper crossing
  // Touching or collinear overlap: an endpoint of one segment lies on the other.
  if (o1 === 0 && onSegment(a, b, c)) return true;
  if (o2 === 0 && onSegment(a, b, d)) return true;
  if (o3 === 0 && onSegment(c, d, a)) return true;
  if (o4 === 0 && onSegment(c, d, b)) return true;
  return false;
}
