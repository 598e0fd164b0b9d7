/**
 * Distances and areas on the WGS84 ellipsoid (Karney's algorithms, via geographiclib-geodesic).
 * Every length and area the API reports comes from here, never from Mercator metres.
 */
// geographiclib-geodesic is a UMD/CommonJS bundle: its default import is `module.exports` in
// Node's ESM loader, in esbuild (wrangler) and in Vite alike; named imports are not.
import geographiclib from "geographiclib-geodesic";
import type { LonLatBbox } from "./tiles.js";

const { Geodesic } = geographiclib;
const WGS84 = Geodesic.WGS84;

/** WGS84 semi-major axis and flattening, for formulas that need them. */
export const WGS84_A = WGS84.a;
export const WGS84_F = WGS84.f;

/** A GeoJSON position: [lon, lat] (an optional altitude is ignored). */
export type LonLat = readonly [number, number, ...number[]];

/** Geodesic distance in metres between two lon/lat points. */
export function geodesicDistance(a: LonLat, b: LonLat): number {
  return WGS84.Inverse(a[1], a[0], b[1], b[0], Geodesic.DISTANCE).s12 ?? Number.NaN;
}

/** Length in metres of a polyline: the sum of the geodesic lengths of its segments. */
export function polylineLength(points: readonly LonLat[]): number {
  let total = 0;
  for (let i = 1; i < points.length; i++) total += geodesicDistance(points[i - 1]!, points[i]!);
  return total;
}

/**
 * Signed area in m² of a ring whose edges are geodesics: positive when counter-clockwise (the
 * RFC 7946 exterior orientation). The ring may be closed (last = first) or open. On the small
 * areas the API accepts, geodesic edges and GeoJSON's straight lon/lat edges differ negligibly.
 */
export function signedRingArea(ring: readonly LonLat[]): number {
  const n = isClosed(ring) ? ring.length - 1 : ring.length;
  if (n < 3) return 0;
  const poly = WGS84.Polygon(false);
  for (let i = 0; i < n; i++) poly.AddPoint(ring[i]![1], ring[i]![0]);
  // sign = true: a clockwise ring gives a negative area, not "the rest of the Earth".
  return poly.Compute(false, true).area ?? Number.NaN;
}

/** Area in m² of a ring, whatever its orientation. */
export function ringArea(ring: readonly LonLat[]): number {
  return Math.abs(signedRingArea(ring));
}

/** Area in m² of a GeoJSON Polygon: exterior minus holes. */
export function polygonArea(rings: readonly (readonly LonLat[])[]): number {
  let area = 0;
  rings.forEach((ring, i) => {
    area += i === 0 ? ringArea(ring) : -ringArea(ring);
  });
  return area;
}

/** Perimeter in metres of a ring (closed or open). */
export function ringPerimeter(ring: readonly LonLat[]): number {
  if (ring.length < 2) return 0;
  return polylineLength(isClosed(ring) ? ring : [...ring, ring[0]!]);
}

/**
 * Area in m² of a lon/lat bbox. Its north and south edges are parallels, not geodesics, so this
 * uses the exact closed form for an ellipsoidal quadrangle: (λ2 - λ1) · (F(φ2) - F(φ1)) with
 * F(φ) = b²/2 · (sinφ / (1 - e² sin²φ) + atanh(e sinφ) / e), the authalic-latitude integral.
 * It is also the area of a Mercator-aligned raster footprint.
 */
export function bboxArea(bbox: LonLatBbox): number {
  const [west, south, east, north] = bbox;
  const dLon = ((east - west) * Math.PI) / 180;
  return Math.abs(dLon * (quadrangleIntegral(north) - quadrangleIntegral(south)));
}

const E2 = WGS84_F * (2 - WGS84_F);
const E = Math.sqrt(E2);
const B = WGS84_A * (1 - WGS84_F);

function quadrangleIntegral(latDeg: number): number {
  const s = Math.sin((latDeg * Math.PI) / 180);
  return ((B * B) / 2) * (s / (1 - E2 * s * s) + Math.atanh(E * s) / E);
}

/**
 * Ground width and height in metres of a bbox: width along its central parallel (exact parallel
 * arc, N(φ)·cosφ·Δλ), height along its central meridian (a geodesic).
 */
export function bboxSidesM(bbox: LonLatBbox): { widthM: number; heightM: number } {
  const [west, south, east, north] = bbox;
  const midLat = (south + north) / 2;
  const midLon = (west + east) / 2;
  return {
    widthM: parallelArcLength(midLat, east - west),
    heightM: geodesicDistance([midLon, south], [midLon, north]),
  };
}

/** Length in metres of an arc of `dLonDeg` degrees along the parallel at `latDeg`. */
export function parallelArcLength(latDeg: number, dLonDeg: number): number {
  const phi = (latDeg * Math.PI) / 180;
  const s = Math.sin(phi);
  const primeVerticalRadius = WGS84_A / Math.sqrt(1 - E2 * s * s);
  return Math.abs(((dLonDeg * Math.PI) / 180) * primeVerticalRadius * Math.cos(phi));
}

function isClosed(ring: readonly LonLat[]): boolean {
  if (ring.length < 2) return false;
  const a = ring[0]!;
  const b = ring[ring.length - 1]!;
  return a[0] === b[0] && a[1] === b[1];
}
