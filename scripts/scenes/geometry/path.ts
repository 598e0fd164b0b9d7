/**
 * A road centreline as a dense polyline in metres (x right, y down, like the image) with arc
 * length, unit tangents and right-hand normals at every vertex, so lateral offsets (lane lines,
 * pavement edges) can be taken anywhere along it.
 */
import { cumulativeLength, type Pt } from "./polyline.js";

export class Path {
  readonly points: Pt[];
  readonly cum: Float64Array;
  readonly tx: Float64Array;
  readonly ty: Float64Array;
  readonly closed: boolean;
  readonly length: number;

  /** `points` should already be dense (about 1 m apart); use Path.resampled otherwise. */
  constructor(points: Pt[], closed = false) {
    if (points.length < 2) throw new RangeError("a path needs two points");
    this.points = points;
    this.closed = closed;
    this.cum = cumulativeLength(points);
    this.length = this.cum[points.length - 1]!;
    const n = points.length;
    this.tx = new Float64Array(n);
    this.ty = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      let prev = points[i - 1];
      let next = points[i + 1];
      if (closed) {
        // The last point repeats the first; wrap over it.
        if (i === 0) prev = points[n - 2];
        if (i === n - 1) next = points[1];
      }
      const a = prev ?? points[i]!;
      const b = next ?? points[i]!;
      let dx = b[0] - a[0];
      let dy = b[1] - a[1];
      const len = Math.hypot(dx, dy) || 1;
      dx /= len;
      dy /= len;
      this.tx[i] = dx;
      this.ty[i] = dy;
    }
  }

  /** A path through arbitrary points, resampled to at most `spacing` metres between vertices. */
  static resampled(points: readonly Pt[], spacing = 1, closed = false): Path {
    const out: Pt[] = [];
    for (let i = 0; i + 1 < points.length; i++) {
      const a = points[i]!;
      const b = points[i + 1]!;
      const len = Math.hypot(b[0] - a[0], b[1] - a[1]);
      const steps = Math.max(1, Math.ceil(len / spacing));
      for (let k = 0; k < steps; k++) {
        const t = k / steps;
        out.push([a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t]);
      }
    }
    const last = points[points.length - 1]!;
    out.push([last[0], last[1]]);
    return new Path(out, closed);
  }

  /** Segment index and fraction at arc length s (clamped, or wrapped for closed paths). */
  private locate(s: number): [number, number] {
    const n = this.points.length;
    if (this.closed) s = ((s % this.length) + this.length) % this.length;
    if (s <= 0) return [0, 0];
    if (s >= this.length) return [n - 2, 1];
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.cum[mid]! <= s) lo = mid;
      else hi = mid;
    }
    const seg = this.cum[hi]! - this.cum[lo]!;
    return [lo, seg > 0 ? (s - this.cum[lo]!) / seg : 0];
  }

  /** Point at arc length s plus `offset` metres along the right-hand normal. */
  offsetPoint(s: number, offset = 0): Pt {
    const [i, t] = this.locate(s);
    const a = this.points[i]!;
    const b = this.points[i + 1]!;
    let tx = this.tx[i]! + (this.tx[i + 1]! - this.tx[i]!) * t;
    let ty = this.ty[i]! + (this.ty[i + 1]! - this.ty[i]!) * t;
    const len = Math.hypot(tx, ty) || 1;
    tx /= len;
    ty /= len;
    return [a[0] + (b[0] - a[0]) * t - ty * offset, a[1] + (b[1] - a[1]) * t + tx * offset];
  }

  tangentAt(s: number): Pt {
    const [i, t] = this.locate(s);
    const tx = this.tx[i]! + (this.tx[i + 1]! - this.tx[i]!) * t;
    const ty = this.ty[i]! + (this.ty[i + 1]! - this.ty[i]!) * t;
    const len = Math.hypot(tx, ty) || 1;
    return [tx / len, ty / len];
  }

  /** The curve at lateral offset(s) for s in [s0, s1], sampled every `step` metres of the path. */
  offsetCurve(s0: number, s1: number, offset: (s: number) => number, step = 1): Pt[] {
    const n = Math.max(1, Math.ceil((s1 - s0) / step));
    const out: Pt[] = [];
    for (let k = 0; k <= n; k++) {
      const s = s0 + ((s1 - s0) * k) / n;
      out.push(this.offsetPoint(s, offset(s)));
    }
    return out;
  }
}

export interface CurvaturePiece {
  length: number;
  /** Curvature (1/radius, signed: positive turns right on screen) at the start and end. */
  k0: number;
  k1: number;
}

/** Integrate a piecewise-linear curvature profile (clothoid-like transitions) from a start pose. */
export function pathFromCurvature(
  start: Pt,
  heading: number,
  pieces: readonly CurvaturePiece[],
  step = 1,
): Path {
  const pts: Pt[] = [[start[0], start[1]]];
  let x = start[0];
  let y = start[1];
  let th = heading;
  for (const piece of pieces) {
    const n = Math.max(1, Math.ceil(piece.length / step));
    const ds = piece.length / n;
    for (let k = 0; k < n; k++) {
      const kk = piece.k0 + ((piece.k1 - piece.k0) * (k + 0.5)) / n;
      const thMid = th + (kk * ds) / 2;
      x += Math.cos(thMid) * ds;
      y += Math.sin(thMid) * ds;
      th += kk * ds;
      pts.push([x, y]);
    }
  }
  return new Path(pts);
}

/**
 * A circle as a closed path starting at angle a0. Clockwise on screen (y down) puts the right-hand
 * normal towards the centre; counter-clockwise puts it outwards.
 */
export function circlePath(cx: number, cy: number, r: number, clockwise: boolean, step = 1, a0 = 0): Path {
  const n = Math.max(24, Math.ceil((2 * Math.PI * r) / step));
  const pts: Pt[] = [];
  const dir = clockwise ? 1 : -1;
  for (let k = 0; k <= n; k++) {
    const a = a0 + (dir * 2 * Math.PI * k) / n;
    pts.push([cx + r * Math.cos(a), cy + r * Math.sin(a)]);
  }
  return new Path(pts, true);
}
