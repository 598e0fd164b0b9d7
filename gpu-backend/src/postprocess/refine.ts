/**
 * Sub-pixel refinement of traced lines against the marking mask. Skeleton pixels sit up to half a
 * pixel off the true centre (always, for marks an even number of pixels wide), so each point is
 * moved to the middle of the mask's cross-section (its chord along the normal), then lightly
 * smoothed. Free ends are extended to where the mask ends, because thinning stops short of a
 * line's end.
 */
import { labelAt, type MarkingRaster } from "./mask.js";
import { arcLengths, lengthOf, plain, slicePolyline } from "./polyline.js";
import type { EndKind, Pt } from "./types.js";

const STEP = 0.25;

/** True where the union marking mask is set at a continuous position. */
export function inMask(r: MarkingRaster, x: number, y: number): boolean {
  return labelAt(r, x, y) > 0;
}

/**
 * Distances from p to the mask boundary along +n and -n (pixels), each the midpoint between the
 * last sample inside and the first outside. Null when p itself is outside the mask.
 */
export function chordAt(r: MarkingRaster, p: Pt, n: Pt, maxPx: number): [number, number] | null {
  if (!inMask(r, p[0], p[1])) return null;
  const out: [number, number] = [0, 0];
  for (let side = 0; side < 2; side++) {
    const sx = side === 0 ? n[0] : -n[0];
    const sy = side === 0 ? n[1] : -n[1];
    // Samples at odd multiples of STEP / 2: from a pixel centre they never land exactly on a
    // pixel edge (where floor() would favour one side), so the edge estimate is unbiased.
    let t = STEP / 2;
    while (t <= maxPx && inMask(r, p[0] + sx * t, p[1] + sy * t)) t += STEP;
    out[side] = t - STEP / 2;
  }
  return out;
}

/** Unit normal at point i from the direction between its neighbours k points away. */
export function normalAt(pts: readonly Pt[], i: number, k: number): Pt {
  const a = pts[Math.max(0, i - k)]!;
  const b = pts[Math.min(pts.length - 1, i + k)]!;
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const len = Math.hypot(dx, dy);
  if (len === 0) return [0, 1];
  return [-dy / len, dx / len];
}

/** Move points to the centre of the mask's cross-section, then smooth lightly. Returns new points. */
export function centreOnMask(pts: readonly Pt[], r: MarkingRaster, maxHalfPx: number): Pt[] {
  const n = pts.length;
  const out: Pt[] = pts.map((p) => [p[0], p[1]]);
  if (n < 3) return out;
  const shift = new Float64Array(n);
  const width = new Float64Array(n).fill(Number.NaN);
  const normals: Pt[] = [];
  for (let i = 0; i < n; i++) {
    const nrm = normalAt(pts, i, 2);
    normals.push(nrm);
    const c = chordAt(r, pts[i]!, nrm, maxHalfPx);
    if (!c) continue;
    width[i] = c[0] + c[1];
    shift[i] = (c[0] - c[1]) / 2;
  }
  const med = median(Array.from(width).filter((w) => Number.isFinite(w)));
  for (let i = 0; i < n; i++) {
    // Cross-sections through junctions or blobs are not about this line: leave those points.
    if (!(width[i]! <= 1.5 * med)) continue;
    const nrm = normals[i]!;
    out[i]![0] += nrm[0] * shift[i]!;
    out[i]![1] += nrm[1] * shift[i]!;
  }
  return smooth121(smooth121(out));
}

/** [1, 2, 1] / 4 smoothing with fixed end points. */
function smooth121(pts: Pt[]): Pt[] {
  const n = pts.length;
  if (n < 3) return pts;
  const out: Pt[] = [pts[0]!];
  for (let i = 1; i < n - 1; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    const c = pts[i + 1]!;
    out.push([(a[0] + 2 * b[0] + c[0]) / 4, (a[1] + 2 * b[1] + c[1]) / 4]);
  }
  out.push(pts[n - 1]!);
  return out;
}

/**
 * Unit direction pointing out of the line at its start (side 0) or end (side 1), from the point
 * `distPx` back along the line (at most `maxFraction` of its length).
 */
export function endDirection(pts: readonly Pt[], side: 0 | 1, distPx: number, maxFraction = 0.5): Pt {
  const n = pts.length;
  const at = (k: number): Pt => pts[side === 0 ? k : n - 1 - k]!;
  const end = at(0);
  let total = 0;
  for (let k = 1; k < n; k++) total += Math.hypot(at(k)[0] - at(k - 1)[0], at(k)[1] - at(k - 1)[1]);
  const want = Math.min(distPx, total * maxFraction);
  let s = 0;
  let q = at(n - 1);
  for (let k = 1; k < n; k++) {
    s += Math.hypot(at(k)[0] - at(k - 1)[0], at(k)[1] - at(k - 1)[1]);
    if (s >= want) {
      q = at(k);
      break;
    }
  }
  const dx = end[0] - q[0];
  const dy = end[1] - q[1];
  const len = Math.hypot(dx, dy);
  if (len === 0) return [1, 0];
  return [dx / len, dy / len];
}

/**
 * Cut hooks off free ends: a speck of paint touching a line's end drags the skeleton sideways for
 * its last pixels, which would skew the end's direction, block bridging and fail the curvature
 * rule for a straight line. A hook is an end stretch of at most `maxHookPx` (and at least 2 px)
 * whose direction differs from the line before it by more than `maxAngleDeg`.
 */
export function trimEndHooks(
  pts: Pt[],
  kinds: [EndKind, EndKind],
  maxHookPx: number,
  bodyPx: number,
  maxAngleDeg = 35,
): Pt[] {
  let out = pts;
  const cosMax = Math.cos((maxAngleDeg * Math.PI) / 180);
  for (const side of [0, 1] as const) {
    if (kinds[side] !== "free" || out.length < 3) continue;
    const q = side === 0 ? out : out.slice().reverse();
    const arc = arcLengths(q);
    const total = arc[q.length - 1]!;
    let cut = -1;
    for (let k = 1; k < q.length && arc[k]! <= maxHookPx; k++) {
      if (arc[k]! < 2 || total - arc[k]! < bodyPx) continue;
      let j = k + 1;
      while (j < q.length - 1 && arc[j]! - arc[k]! < bodyPx) j++;
      const hx = q[0]![0] - q[k]![0];
      const hy = q[0]![1] - q[k]![1];
      const bx = q[k]![0] - q[j]![0];
      const by = q[k]![1] - q[j]![1];
      const c = (hx * bx + hy * by) / (Math.hypot(hx, hy) * Math.hypot(bx, by) || 1);
      if (c < cosMax) cut = k;
    }
    if (cut > 0) {
      const kept = q.slice(cut);
      out = side === 0 ? kept : kept.reverse();
    }
  }
  return out;
}

/**
 * Extend free ends along their direction to the edge of the mask. Thinning often bends the last
 * pixel or two of a skeleton towards a corner of a square end, so the end is first cut back by
 * `cutPx` and the extension starts from there along the direction of the line before it. Ends
 * that reach the raster's edge become "border" ends (the line goes on outside the raster).
 */
export function extendFreeEnds(
  pts: Pt[],
  kinds: [EndKind, EndKind],
  r: MarkingRaster,
  dirPx: number,
  maxPx: number,
  cutPx = 2,
): { pts: Pt[]; kinds: [EndKind, EndKind] } {
  let out = pts.slice();
  const newKinds: [EndKind, EndKind] = [kinds[0], kinds[1]];
  for (const side of [0, 1] as const) {
    if (kinds[side] !== "free" || out.length < 2) continue;
    const total = lengthOf(out);
    const cut = Math.min(cutPx, total / 4);
    const line = slicePolyline(plain(out), side === 0 ? cut : 0, side === 0 ? total : total - cut);
    if (line.pts.length < 2) continue;
    const base = line.pts;
    const end = side === 0 ? base[0]! : base[base.length - 1]!;
    const d = endDirection(base, side, dirPx);
    let ray = STEP / 2;
    while (ray <= maxPx && inMask(r, end[0] + d[0] * ray, end[1] + d[1] * ray)) ray += STEP;
    ray -= STEP / 2;
    const t = maskExtent(r, end, d, ray, maxPx);
    const p: Pt = [end[0] + d[0] * t, end[1] + d[1] * t];
    out = side === 0 ? [p, ...base] : [...base, p];
    if (p[0] < 1 || p[1] < 1 || p[0] > r.width - 1 || p[1] > r.height - 1) newKinds[side] = "border";
  }
  return { pts: out, kinds: newKinds };
}

/**
 * How far the mask reaches beyond `end` along `d`: the farthest mask pixel centre in a band as
 * wide as the line, plus half a pixel (unbiased for pixel-centre masks along the axes). A single
 * ray can leave a thin staircase mask early through its side; the band cannot. Kept within
 * [ray - 1, ray + 1.5] so a blob touching the end cannot drag it far.
 */
function maskExtent(r: MarkingRaster, end: Pt, d: Pt, ray: number, maxPx: number): number {
  const n: Pt = [-d[1], d[0]];
  const c = chordAt(r, end, n, maxPx);
  const band = c ? Math.max(c[0], c[1]) + 0.5 : 2;
  const reach = Math.ceil(ray + band + 2);
  const x0 = Math.max(0, Math.floor(end[0] - reach));
  const x1 = Math.min(r.width - 1, Math.floor(end[0] + reach));
  const y0 = Math.max(0, Math.floor(end[1] - reach));
  const y1 = Math.min(r.height - 1, Math.floor(end[1] + reach));
  let best = Number.NEGATIVE_INFINITY;
  for (let y = y0; y <= y1; y++) {
    const row = (y + 1) * r.stride + 1;
    for (let x = x0; x <= x1; x++) {
      if (r.labels[row + x] === 0) continue;
      const cx = x + 0.5 - end[0];
      const cy = y + 0.5 - end[1];
      const along = cx * d[0] + cy * d[1];
      if (along > best && along <= ray + 2 && Math.abs(cx * n[0] + cy * n[1]) <= band) best = along;
    }
  }
  if (!Number.isFinite(best)) return ray;
  return Math.min(ray + 1.5, Math.max(ray - 1, best + 0.5));
}

export function median(values: number[]): number {
  if (values.length === 0) return Number.NaN;
  const s = values.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
