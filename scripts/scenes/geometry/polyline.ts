/** Plain polyline helpers on [x, y] points (metres or pixels; the maths does not care). */
import { cumulativeLengths } from "@lanesegnet/shared";

export type Pt = [number, number];

export interface Rect {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/** Cumulative arc length at each vertex (first is 0): shared's, one copy for every package. */
export const cumulativeLength = cumulativeLengths;

export function polylineLength(points: readonly Pt[]): number {
  const cum = cumulativeLength(points);
  return cum[cum.length - 1] ?? 0;
}

/** Point at arc length s (clamped to the ends). */
export function pointAtLength(points: readonly Pt[], cum: Float64Array, s: number): Pt {
  const n = points.length;
  if (n === 0) throw new RangeError("empty polyline");
  if (s <= 0 || n === 1) return [points[0]![0], points[0]![1]];
  const total = cum[n - 1]!;
  if (s >= total) return [points[n - 1]![0], points[n - 1]![1]];
  let lo = 0;
  let hi = n - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (cum[mid]! <= s) lo = mid;
    else hi = mid;
  }
  const a = points[lo]!;
  const b = points[hi]!;
  const seg = cum[hi]! - cum[lo]!;
  const t = seg > 0 ? (s - cum[lo]!) / seg : 0;
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
}

/** Vertices closer than this to a slice's end point are dropped (a zero-length end segment). */
const SLICE_EPS_M = 1e-9;

/**
 * The part of a polyline between arc lengths s0 < s1, with interpolated end points. Interior
 * vertices within SLICE_EPS_M of either end are dropped: an end that falls on a vertex up to
 * rounding would otherwise repeat it, and the zero-length segment bends the stroke's end miter
 * (generator 1.0.0 painted such dashes up to twice as wide over their last metre).
 */
export function slicePolyline(points: readonly Pt[], cum: Float64Array, s0: number, s1: number): Pt[] {
  const out: Pt[] = [pointAtLength(points, cum, s0)];
  for (let i = 0; i < points.length; i++) {
    const c = cum[i]!;
    if (c > s0 + SLICE_EPS_M && c < s1 - SLICE_EPS_M) out.push([points[i]![0], points[i]![1]]);
  }
  out.push(pointAtLength(points, cum, s1));
  return out;
}

/** Scale and translate: p * k + [dx, dy]. */
export function transformPolyline(points: readonly Pt[], k: number, dx = 0, dy = 0): Pt[] {
  return points.map((p) => [p[0] * k + dx, p[1] * k + dy]);
}

export interface ClippedPiece {
  points: Pt[];
  /** Arc length in the original polyline at the piece's first point. */
  s0: number;
}

/**
 * Clip a polyline to a rectangle (Liang–Barsky per segment). Returns the inside pieces with the
 * arc length at which each starts in the original, so dash phases carry over exactly.
 */
export function clipPolylineToRect(points: readonly Pt[], rect: Rect): ClippedPiece[] {
  const pieces: ClippedPiece[] = [];
  let current: ClippedPiece | null = null;
  let s = 0;
  for (let i = 0; i + 1 < points.length; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const len = Math.hypot(dx, dy);
    const range = clipSegment(a, dx, dy, rect);
    if (range) {
      const [t0, t1] = range;
      const end: Pt = [a[0] + dx * t1, a[1] + dy * t1];
      if (current && t0 === 0) {
        current.points.push(end);
      } else {
        current = { points: [[a[0] + dx * t0, a[1] + dy * t0], end], s0: s + len * t0 };
        pieces.push(current);
      }
      if (t1 < 1) current = null;
    } else {
      current = null;
    }
    s += len;
  }
  return pieces;
}

/** Liang–Barsky: the parameter range [t0, t1] of segment a + t*(dx, dy) inside rect, or null. */
function clipSegment(a: Pt, dx: number, dy: number, rect: Rect): [number, number] | null {
  let t0 = 0;
  let t1 = 1;
  const p = [-dx, dx, -dy, dy];
  const q = [a[0] - rect.minX, rect.maxX - a[0], a[1] - rect.minY, rect.maxY - a[1]];
  for (let k = 0; k < 4; k++) {
    const pk = p[k]!;
    const qk = q[k]!;
    if (pk === 0) {
      if (qk < 0) return null;
    } else {
      const r = qk / pk;
      if (pk < 0) {
        if (r > t1) return null;
        if (r > t0) t0 = r;
      } else {
        if (r < t0) return null;
        if (r < t1) t1 = r;
      }
    }
  }
  return t1 > t0 ? [t0, t1] : null;
}

export function pointInPolygon(x: number, y: number, ring: readonly Pt[]): boolean {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/** Distance from a point to a segment. */
export function distanceToSegment(px: number, py: number, a: Pt, b: Pt): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((px - a[0]) * dx + (py - a[1]) * dy) / len2 : 0;
  t = Math.max(0, Math.min(1, t));
  return Math.hypot(px - (a[0] + t * dx), py - (a[1] + t * dy));
}

export function distanceToPolyline(px: number, py: number, points: readonly Pt[]): number {
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i + 1 < points.length; i++) {
    best = Math.min(best, distanceToSegment(px, py, points[i]!, points[i + 1]!));
  }
  if (points.length === 1) best = Math.hypot(px - points[0]![0], py - points[0]![1]);
  return best;
}

export function rectsOverlap(a: Rect, b: Rect): boolean {
  return a.minX < b.maxX && b.minX < a.maxX && a.minY < b.maxY && b.minY < a.maxY;
}

export function boundsOf(points: readonly Pt[]): Rect {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const [x, y] of points) {
    if (x < minX) minX = x;
    if (y < minY) minY = y;
    if (x > maxX) maxX = x;
    if (y > maxY) maxY = y;
  }
  return { minX, minY, maxX, maxY };
}

/** Convex hull (Andrew's monotone chain), counter-clockwise in a y-up frame. */
export function convexHull(points: readonly Pt[]): Pt[] {
  const pts = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (pts.length < 3) return pts;
  const cross = (o: Pt, a: Pt, b: Pt) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Pt[] = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2]!, lower[lower.length - 1]!, p) <= 0)
      lower.pop();
    lower.push(p);
  }
  const upper: Pt[] = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i]!;
    while (upper.length >= 2 && cross(upper[upper.length - 2]!, upper[upper.length - 1]!, p) <= 0)
      upper.pop();
    upper.push(p);
  }
  upper.pop();
  lower.pop();
  return lower.concat(upper);
}

/** Rectangle centred at (cx, cy) with half sizes along (ux, uy) and its normal. */
export function orientedRect(
  cx: number,
  cy: number,
  ux: number,
  uy: number,
  halfLen: number,
  halfWid: number,
): Pt[] {
  const nx = -uy;
  const ny = ux;
  return [
    [cx - ux * halfLen - nx * halfWid, cy - uy * halfLen - ny * halfWid],
    [cx + ux * halfLen - nx * halfWid, cy + uy * halfLen - ny * halfWid],
    [cx + ux * halfLen + nx * halfWid, cy + uy * halfLen + ny * halfWid],
    [cx - ux * halfLen + nx * halfWid, cy - uy * halfLen + ny * halfWid],
  ];
}
