/** Small geometry helpers on polylines with per-segment bridge flags. */
import { cumulativeLengths, planarLength } from "@lanesegnet/shared";
import type { Polyline, Pt } from "./types.js";

// Pixel lengths along a line are shared's planar ones, under the names this package reads best with.
export const lengthOf = planarLength;
export const arcLengths = cumulativeLengths;

export function plain(pts: Pt[]): Polyline {
  return { pts, bridged: new Array<boolean>(Math.max(0, pts.length - 1)).fill(false) };
}

export function reversePolyline(l: Polyline): Polyline {
  return { pts: l.pts.slice().reverse(), bridged: l.bridged.slice().reverse() };
}

/** The part of a polyline between arc lengths s0 < s1, with its segments' flags. */
export function slicePolyline(l: Polyline, s0: number, s1: number): Polyline {
  const arc = arcLengths(l.pts);
  const n = l.pts.length;
  const total = arc[n - 1] ?? 0;
  s0 = Math.max(0, s0);
  s1 = Math.min(total, s1);
  const pts: Pt[] = [];
  const bridged: boolean[] = [];
  if (n < 2 || s1 <= s0) return { pts, bridged };
  for (let i = 0; i + 1 < n; i++) {
    const a = arc[i]!;
    const b = arc[i + 1]!;
    if (b <= s0 || a >= s1 || b === a) continue;
    const p = l.pts[i]!;
    const q = l.pts[i + 1]!;
    const t0 = Math.max(0, (s0 - a) / (b - a));
    const t1 = Math.min(1, (s1 - a) / (b - a));
    const p0: Pt = [p[0] + (q[0] - p[0]) * t0, p[1] + (q[1] - p[1]) * t0];
    const p1: Pt = [p[0] + (q[0] - p[0]) * t1, p[1] + (q[1] - p[1]) * t1];
    if (pts.length === 0) pts.push(p0);
    pts.push(p1);
    bridged.push(l.bridged[i] === true);
  }
  return { pts, bridged };
}

/**
 * Samples every `step` along the line (plus its last point): position, arc length, unit
 * direction and whether the sample lies on a bridged segment.
 */
export interface Sample {
  x: number;
  y: number;
  s: number;
  dx: number;
  dy: number;
  bridged: boolean;
}

export function sampleAlong(l: Polyline, step: number): Sample[] {
  const out: Sample[] = [];
  const { pts } = l;
  let s = 0;
  let next = 0;
  for (let i = 0; i + 1 < pts.length; i++) {
    const p = pts[i]!;
    const q = pts[i + 1]!;
    const len = Math.hypot(q[0] - p[0], q[1] - p[1]);
    if (len === 0) continue;
    const dx = (q[0] - p[0]) / len;
    const dy = (q[1] - p[1]) / len;
    while (next <= s + len) {
      const t = next - s;
      out.push({ x: p[0] + dx * t, y: p[1] + dy * t, s: next, dx, dy, bridged: l.bridged[i] === true });
      next += step;
    }
    s += len;
  }
  return out;
}

/** Distance from p to a polyline, with the arc length of the nearest point. */
export function distanceToPolyline(p: Pt, pts: readonly Pt[], arc?: Float64Array): { d: number; s: number } {
  let best = Number.POSITIVE_INFINITY;
  let bestS = 0;
  let s = 0;
  for (let i = 0; i + 1 < pts.length; i++) {
    const a = pts[i]!;
    const b = pts[i + 1]!;
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const len2 = dx * dx + dy * dy;
    let t = len2 > 0 ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2 : 0;
    t = t < 0 ? 0 : Math.min(t, 1);
    const ex = p[0] - (a[0] + t * dx);
    const ey = p[1] - (a[1] + t * dy);
    const d2 = ex * ex + ey * ey;
    const segLen = Math.sqrt(len2);
    if (d2 < best) {
      best = d2;
      bestS = (arc ? arc[i]! : s) + t * segLen;
    }
    s += segLen;
  }
  if (pts.length === 1) {
    best = (p[0] - pts[0]![0]) ** 2 + (p[1] - pts[0]![1]) ** 2;
  }
  return { d: Math.sqrt(best), s: bestS };
}
