/**
 * Strokes as polygons: a band between two lateral offsets of a polyline (butt caps, mitred joins),
 * ready for the coverage rasteriser. Painted dashes, double lines, kerbs and pavement edges are all
 * bands.
 */
import type { Pt } from "../geometry/polyline.js";

/** Right-hand miter normals (unit normal / cos(half turn), clamped) at each vertex. */
export function miterNormals(points: readonly Pt[]): Float64Array {
  const n = points.length;
  const out = new Float64Array(n * 2);
  const segN = new Float64Array(Math.max(0, n - 1) * 2);
  const degenerate: number[] = [];
  for (let i = 0; i + 1 < n; i++) {
    const a = points[i]!;
    const b = points[i + 1]!;
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const len = Math.hypot(dx, dy);
    if (len < 1e-12) {
      degenerate.push(i);
      continue;
    }
    segN[2 * i] = -dy / len;
    segN[2 * i + 1] = dx / len;
  }
  // A zero-length segment (a repeated vertex) has no direction: it borrows its neighbour's, so the
  // miter beside it stays a plain normal instead of doubling (cos 0 clamps the scale at 2).
  for (const i of degenerate) {
    let j = -1;
    for (let d = 1; d < n && j < 0; d++) {
      if (i - d >= 0 && !degenerate.includes(i - d)) j = i - d;
      else if (i + d < n - 1 && !degenerate.includes(i + d)) j = i + d;
    }
    if (j >= 0) {
      segN[2 * i] = segN[2 * j]!;
      segN[2 * i + 1] = segN[2 * j + 1]!;
    }
  }
  for (let i = 0; i < n; i++) {
    const pi = Math.max(0, i - 1);
    const ni = Math.min(n - 2, i);
    let nx = segN[2 * pi]! + segN[2 * ni]!;
    let ny = segN[2 * pi + 1]! + segN[2 * ni + 1]!;
    const len = Math.hypot(nx, ny);
    if (len < 1e-9) {
      nx = segN[2 * ni]!;
      ny = segN[2 * ni + 1]!;
    } else {
      nx /= len;
      ny /= len;
      const cos = nx * segN[2 * ni]! + ny * segN[2 * ni + 1]!;
      const k = 1 / Math.max(0.5, cos);
      nx *= k;
      ny *= k;
    }
    out[2 * i] = nx;
    out[2 * i + 1] = ny;
  }
  return out;
}

/**
 * Closed ring (flat [x, y, ...]) of the band between lateral offsets `from` and `to` (right-hand
 * normal, same units as the points), scaled by k.
 */
export function bandRing(
  points: readonly Pt[],
  from: number,
  to: number,
  k = 1,
  normals?: Float64Array,
): number[] {
  const n = points.length;
  const nm = normals ?? miterNormals(points);
  const ring: number[] = new Array(n * 4);
  for (let i = 0; i < n; i++) {
    const p = points[i]!;
    ring[2 * i] = (p[0] + nm[2 * i]! * from) * k;
    ring[2 * i + 1] = (p[1] + nm[2 * i + 1]! * from) * k;
  }
  for (let i = 0; i < n; i++) {
    const p = points[n - 1 - i]!;
    const j = n - 1 - i;
    ring[2 * (n + i)] = (p[0] + nm[2 * j]! * to) * k;
    ring[2 * (n + i) + 1] = (p[1] + nm[2 * j + 1]! * to) * k;
  }
  return ring;
}

/** Flat ring from [x, y] points scaled by k. */
export function flatRing(points: readonly Pt[], k = 1): number[] {
  const out: number[] = new Array(points.length * 2);
  for (let i = 0; i < points.length; i++) {
    out[2 * i] = points[i]![0] * k;
    out[2 * i + 1] = points[i]![1] * k;
  }
  return out;
}

/** A disc (or ellipse-ish polygon with wobble) as a flat ring. */
export function discRing(
  cx: number,
  cy: number,
  r: number,
  k = 1,
  segments = 20,
  wobble?: (a: number) => number,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < segments; i++) {
    const a = (2 * Math.PI * i) / segments;
    const rr = r * (wobble ? wobble(a) : 1);
    out.push((cx + rr * Math.cos(a)) * k, (cy + rr * Math.sin(a)) * k);
  }
  return out;
}
