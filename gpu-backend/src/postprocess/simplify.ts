/**
 * Douglas–Peucker simplification. Every dropped point lies within `tolerancePx` of the segment
 * that replaces it, so the simplified line never moves further than the tolerance from the
 * traced one. Forced points (both ends of bridged segments) always survive.
 */
import type { Polyline, Pt } from "./types.js";

/** Which points Douglas–Peucker keeps (1) for a tolerance, honouring forced points. */
export function douglasPeuckerMarks(pts: readonly Pt[], tolerancePx: number, force?: Uint8Array): Uint8Array {
  const n = pts.length;
  const marks = new Uint8Array(n);
  if (n === 0) return marks;
  marks[0] = 1;
  marks[n - 1] = 1;
  const tol2 = tolerancePx * tolerancePx;
  const stack: number[] = [];
  // Split first at every forced point, then simplify each span on its own.
  let prev = 0;
  for (let i = 1; i < n; i++) {
    if (i === n - 1 || force?.[i]) {
      marks[i] = 1;
      stack.push(prev, i);
      prev = i;
    }
  }
  while (stack.length > 0) {
    const b = stack.pop()!;
    const a = stack.pop()!;
    if (b - a < 2) continue;
    let worst = -1;
    let worstD = tol2;
    for (let i = a + 1; i < b; i++) {
      const d = segDist2(pts[i]!, pts[a]!, pts[b]!);
      if (d > worstD) {
        worst = i;
        worstD = d;
      }
    }
    if (worst >= 0) {
      marks[worst] = 1;
      stack.push(a, worst, worst, b);
    }
  }
  return marks;
}

export function simplifyPoints(pts: readonly Pt[], tolerancePx: number): Pt[] {
  const marks = douglasPeuckerMarks(pts, tolerancePx);
  const out: Pt[] = [];
  pts.forEach((p, i) => {
    if (marks[i]) out.push([p[0], p[1]]);
  });
  return out;
}

/** Simplify a polyline, keeping both ends of every bridged segment so the flags stay exact. */
export function simplifyPolyline(line: Polyline, tolerancePx: number): Polyline {
  const n = line.pts.length;
  const force = new Uint8Array(n);
  line.bridged.forEach((b, i) => {
    if (b) {
      force[i] = 1;
      force[i + 1] = 1;
    }
  });
  const marks = douglasPeuckerMarks(line.pts, tolerancePx, force);
  const pts: Pt[] = [];
  const bridged: boolean[] = [];
  let last = -1;
  for (let i = 0; i < n; i++) {
    if (!marks[i]) continue;
    // A kept segment is bridged only when it is exactly one bridged input segment.
    if (last >= 0) bridged.push(i - last === 1 && line.bridged[last] === true);
    pts.push([line.pts[i]![0], line.pts[i]![1]]);
    last = i;
  }
  return { pts, bridged };
}

/** Squared distance from p to segment ab. */
export function segDist2(p: Pt, a: Pt, b: Pt): number {
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len2 = dx * dx + dy * dy;
  let t = len2 > 0 ? ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / len2 : 0;
  t = t < 0 ? 0 : Math.min(t, 1);
  const ex = p[0] - (a[0] + t * dx);
  const ey = p[1] - (a[1] + t * dy);
  return ex * ex + ey * ey;
}
