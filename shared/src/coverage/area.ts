import { lonLatToMercator, MAX_LATITUDE, MERCATOR_HALF_WORLD_M, mercatorToLonLat } from "../geo/mercator.js";
import type { LonLatBbox, MercatorBbox } from "../geo/tiles.js";

/**
 * A query area, given either in lon/lat degrees (`[west, south, east, north]`, not crossing the
 * antimeridian) or in Web Mercator metres (`[minX, minY, maxX, maxY]`).
 */
export type CoverageArea = { readonly lonLat: LonLatBbox } | { readonly mercator: MercatorBbox };

/**
 * Overlaps thinner than this (Mercator metres) count as "touching", not intersecting. One
 * micrometre is far below any pixel yet ~100x the float noise of a lon/lat <-> Mercator round trip
 * near the antimeridian (ULP of 2e7 is 3.7e-9), so a footprint that merely shares an edge with the
 * query is not reported, and an edge given in lon/lat still meets its neighbour exactly.
 */
export const EDGE_TOLERANCE_M = 1e-6;

/**
 * A validated query in Mercator metres. An axis thinner than EDGE_TOLERANCE_M is collapsed to its
 * centre (`minX === maxX`): such an axis is "degenerate" and matched with closed containment, so a
 * point query finds the footprints that contain the point, edges included.
 */
export interface ResolvedArea {
  readonly minX: number;
  readonly minY: number;
  readonly maxX: number;
  readonly maxY: number;
  /** Latitude of the area's centre, where ground resolutions are evaluated. */
  readonly centreLat: number;
}

// Coordinates a hair outside the world square (float noise of a conversion) are still accepted.
const WORLD_SLACK_M = 1e-3;

function checkBBox(name: string, b: readonly number[]): void {
  if (b.length !== 4 || !b.every(Number.isFinite)) {
    throw new RangeError(`${name} must be 4 finite numbers, got ${JSON.stringify(b)}`);
  }
  const [x0, y0, x1, y1] = b as [number, number, number, number];
  if (x0 > x1 || y0 > y1) {
    throw new RangeError(
      `${name} must be ordered [min, min, max, max] (areas crossing the antimeridian are not supported), got ${JSON.stringify(b)}`,
    );
  }
}

function collapse(lo: number, hi: number): [number, number] {
  if (hi - lo > EDGE_TOLERANCE_M) return [lo, hi];
  const c = (lo + hi) / 2;
  return [c, c];
}

/** Validate a query area and convert it to Mercator metres. Throws RangeError on bad input. */
export function resolveArea(area: CoverageArea): ResolvedArea {
  let box: [number, number, number, number];
  if ("lonLat" in area) {
    checkBBox("lonLat", area.lonLat);
    const [w, s, e, n] = area.lonLat;
    if (w < -180 || e > 180 || s < -MAX_LATITUDE || n > MAX_LATITUDE) {
      throw new RangeError(
        `lonLat must lie within lon [-180, 180], lat [-${MAX_LATITUDE}, ${MAX_LATITUDE}], got ${JSON.stringify(area.lonLat)}`,
      );
    }
    const [minX, minY] = lonLatToMercator(w, s);
    const [maxX, maxY] = lonLatToMercator(e, n);
    box = [minX, minY, maxX, maxY];
  } else {
    checkBBox("mercator", area.mercator);
    const lim = MERCATOR_HALF_WORLD_M + WORLD_SLACK_M;
    if (area.mercator.some((v) => Math.abs(v) > lim)) {
      throw new RangeError(
        `mercator must lie within the EPSG:3857 world square, got ${JSON.stringify(area.mercator)}`,
      );
    }
    box = [...area.mercator];
  }
  const [minX, maxX] = collapse(box[0], box[2]);
  const [minY, maxY] = collapse(box[1], box[3]);
  return { minX, minY, maxX, maxY, centreLat: mercatorToLonLat(0, (minY + maxY) / 2)[1] };
}

/**
 * Fraction of the query's extent [qlo, qhi] on one axis that [lo, hi] covers, or -1 when they do
 * not intersect. A degenerate query axis (qlo === qhi) is covered when lo <= qlo <= hi.
 */
export function axisCoverage(qlo: number, qhi: number, lo: number, hi: number): number {
  const len = qhi - qlo;
  if (len === 0) return lo <= qlo && qlo <= hi ? 1 : -1;
  const overlap = Math.min(qhi, hi) - Math.max(qlo, lo);
  return overlap > EDGE_TOLERANCE_M ? Math.min(1, overlap / len) : -1;
}

/** Fraction of the query area a footprint covers, or -1 when it does not intersect it. */
export function footprintCoverage(
  q: ResolvedArea,
  minX: number,
  minY: number,
  maxX: number,
  maxY: number,
): number {
  const fx = axisCoverage(q.minX, q.maxX, minX, maxX);
  if (fx < 0) return -1;
  const fy = axisCoverage(q.minY, q.maxY, minY, maxY);
  return fy < 0 ? -1 : fx * fy;
}
