import type { MercatorBbox } from "../geo/tiles.js";
import { EDGE_TOLERANCE_M, type ResolvedArea } from "./area.js";

export interface UnionCoverage {
  /** The union of the footprints covers the whole query (gaps up to EDGE_TOLERANCE_M ignored). */
  readonly fully: boolean;
  /** Covered fraction of the query area (1 when `fully`). */
  readonly fraction: number;
}

/** Whether one footprint alone covers the query (closed containment, EDGE_TOLERANCE_M slack). */
export function containsArea(q: ResolvedArea, f: MercatorBbox): boolean {
  const t = EDGE_TOLERANCE_M;
  return f[0] <= q.minX + t && f[2] >= q.maxX - t && f[1] <= q.minY + t && f[3] >= q.maxY - t;
}

/**
 * Exact coverage of a query rectangle by a union of axis-aligned footprints, by a slab sweep:
 * the footprints' x edges cut the query into vertical slabs; in each slab, the y intervals of the
 * footprints spanning it (pre-sorted by minY once) are merged. O(n^2) for n footprints after
 * dropping those contained in another, with no sampling error and no fragment blow-up (rectangle
 * subtraction took 8 ms on 75 AEL images that overlap 30-deep).
 *
 * Slabs and gaps no wider than EDGE_TOLERANCE_M are treated as covered: float noise where
 * neighbouring images abut. A degenerate query axis (point or segment query) uses closed
 * containment and counts as length 1, matching footprintCoverage.
 */
export function unionCoverage(q: ResolvedArea, footprints: readonly MercatorBbox[]): UnionCoverage {
  const t = EDGE_TOLERANCE_M;
  const degX = q.minX === q.maxX;
  const degY = q.minY === q.maxY;
  // Clip to the query and drop rectangles inside another kept one: the AEL images overlap
  // 30-deep, and clipped to a small query most of them coincide, so this leaves a handful.
  const clipped = footprints
    .map((f): [number, number, number, number] => [
      Math.max(f[0], q.minX),
      Math.max(f[1], q.minY),
      Math.min(f[2], q.maxX),
      Math.min(f[3], q.maxY),
    ])
    .filter((r) => r[2] >= r[0] && r[3] >= r[1])
    .sort((a, b) => (b[2] - b[0]) * (b[3] - b[1]) - (a[2] - a[0]) * (a[3] - a[1]));
  const kept: [number, number, number, number][] = [];
  for (const r of clipped) {
    if (!kept.some((k) => k[0] <= r[0] && k[1] <= r[1] && k[2] >= r[2] && k[3] >= r[3])) kept.push(r);
  }
  // Sorted by minY so each slab merges its intervals in one pass.
  const rects = kept.sort((a, b) => a[1] - b[1]);

  let xs: number[];
  if (degX) xs = [q.minX, q.maxX];
  else {
    const edges = [q.minX, q.maxX];
    for (const r of rects) edges.push(r[0], r[2]);
    xs = [...new Set(edges)].sort((a, b) => a - b);
  }

  const height = degY ? 1 : q.maxY - q.minY;
  let fully = true;
  let coveredArea = 0;
  for (let s = 0; s + 1 < xs.length; s++) {
    const lo = xs[s]!;
    const hi = xs[s + 1]!;
    if (!degX && hi - lo <= t) continue; // a sliver between two edges: noise, not a hole
    let covered = 0;
    if (degY) {
      covered = rects.some((r) => r[0] <= lo && r[2] >= hi && r[1] <= q.minY && r[3] >= q.minY) ? 1 : 0;
      if (covered === 0) fully = false;
    } else {
      let a = Number.NaN;
      let b = Number.NaN;
      for (const r of rects) {
        if (r[0] > lo || r[2] < hi) continue; // does not span this slab
        if (Number.isNaN(a)) {
          a = r[1];
          b = r[3];
          if (a > q.minY + t) fully = false;
        } else if (r[1] <= b + t) {
          if (r[3] > b) b = r[3];
        } else {
          covered += b - a;
          fully = false;
          a = r[1];
          b = r[3];
        }
      }
      if (Number.isNaN(a)) fully = false;
      else {
        covered += b - a;
        if (b < q.maxY - t) fully = false;
      }
    }
    coveredArea += (degX ? 1 : hi - lo) * covered;
  }
  const area = (degX ? 1 : q.maxX - q.minX) * height;
  return { fully, fraction: fully ? 1 : Math.min(1, coveredArea / area) };
}
