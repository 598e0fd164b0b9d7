/**
 * Merge duplicate lines: two lines of one class that run within a tolerance of each other for
 * most of the shorter one's length are one marking seen twice (a wide mask that traced into two
 * branches, or the same line vectorised in two overlapping tiles). Lines that overlap only at
 * their ends, end to end (a line crossing a tile seam), are joined into one. The geometry core
 * works in any planar frame given the size of one unit in metres; `mergeDuplicates` merges
 * measured lines in pixel space. (The backend stitches its overlapping inference tiles into one
 * segmentation before vectorising, so no seam duplicates survive into GeoJSON to be merged there.)
 */

import Flatbush from "flatbush";
import type { VectoriseParams } from "./params.js";
import { arcLengths, distanceToPolyline, lengthOf, reversePolyline, slicePolyline } from "./polyline.js";
import type { DashMeasure, EndKind, MeasuredLine, Polyline, Pt } from "./types.js";

export interface MergeGeometryOptions {
  /** Distance under which a point of one line is on the other (frame units). */
  tolerance: number;
  /** Share of the shorter line within the tolerance for the two to be duplicates. */
  minOverlap: number;
  /** End-to-end overlaps at least this long (frame units) join two lines (tile seams). */
  minSeamOverlap: number;
}

export interface GeometryMerge {
  line: Polyline;
  /** Length along which the two lines overlap (frame units). */
  overlap: number;
  /** B was reversed to run the same way as A. */
  reversedB: boolean;
  /** Parts of B added before / after A. */
  addedStart: boolean;
  addedEnd: boolean;
}

/**
 * Try to merge B into A (A should be the longer). Returns the union line, or null when the two
 * are not the same marking.
 */
export function mergeGeometry(a: Polyline, b: Polyline, opts: MergeGeometryOptions): GeometryMerge | null {
  const tol = opts.tolerance;
  const clear = tol + roundingMargin(a.pts, b.pts);
  // Most pairs handed in are near but separate markings (parallel lanes, crossings): settle
  // those without sampling B every half tolerance.
  if (farApart(a.pts, b.pts, tol, clear)) return null;
  const lenA = lengthOf(a.pts);
  const arcA = arcLengths(a.pts);
  const step = tol / 2;
  let bb = b;
  let cov = coverage(a.pts, arcA, bb, step, tol, clear);
  if (cov.first < 0) return null;
  let reversedB = false;
  if (cov.projLast < cov.projFirst) {
    bb = reversePolyline(b);
    reversedB = true;
    cov = coverage(a.pts, arcA, bb, step, tol, clear);
    if (cov.first < 0) return null;
  }
  const { lenB, coveredLen, interiorGap } = cov;
  const duplicate = coveredLen >= opts.minOverlap * Math.min(lenA, lenB);
  const nearStartOfA = cov.projFirst <= 2 * opts.tolerance;
  const nearEndOfA = lenA - cov.projLast <= 2 * opts.tolerance;
  const hasPrefix = cov.sFirst > step;
  const hasSuffix = lenB - cov.sLast > step;
  if (!duplicate) {
    // Seam join: one continuous overlap, and B's loose parts hang off A's ends.
    const seam =
      coveredLen >= opts.minSeamOverlap &&
      interiorGap <= 2 * opts.tolerance &&
      (!hasPrefix || nearStartOfA) &&
      (!hasSuffix || nearEndOfA) &&
      (hasPrefix || hasSuffix);
    if (!seam) return null;
  }
  // Loose parts of B that leave A in its middle are branches, not extensions: drop them.
  const addStart = hasPrefix && nearStartOfA;
  const addEnd = hasSuffix && nearEndOfA;
  const pts: Pt[] = [];
  const bridged: boolean[] = [];
  const append = (l: Polyline): void => {
    if (l.pts.length === 0) return;
    if (pts.length > 0) bridged.push(false);
    for (const p of l.pts) pts.push([p[0], p[1]]);
    for (const f of l.bridged) bridged.push(f);
  };
  if (addStart) append(slicePolyline(bb, 0, cov.sFirst));
  append(a);
  if (addEnd) append(slicePolyline(bb, cov.sLast, lenB));
  return { line: { pts, bridged }, overlap: coveredLen, reversedB, addedStart: addStart, addedEnd: addEnd };
}

/*
 * Why skipping work in `farApart` and `coverage` cannot change a result.
 *
 * Let D(P) be the exact distance from a point P to polyline A. D is 1-Lipschitz:
 * D(Q) >= D(P) - |Q - P|. `distanceToPolyline` returns D up to rounding, and the points it is
 * given (B's vertices, points interpolated on B's segments, the samples of `coverage`) lie on B up
 * to rounding; every such error is a few ulps of the largest coordinate S involved, far below the
 * margin m = 1e-9 (1 + S) of `roundingMargin`. So if a point P has computed distance d and
 * d - (tol + m) = r > 0, every point Q with |Q - P| < r (up to rounding) has computed distance
 * > tol: it is not covered. A non-finite coordinate makes m non-finite and r never > 0, and a
 * NaN tolerance makes r NaN: nothing is skipped then.
 *
 * `coverage` uses this to skip the distance computation of samples inside such a ball around the
 * last uncovered sample it measured: they are uncovered, and the projection of an uncovered
 * sample is never read. `farApart` walks B from end to end in steps of r (arc length >= chord,
 * so the ball holds every point of B between two steps; each step is measured where it lands,
 * so the walk's rounding does not add up along B) and reports true only when the walk reaches
 * B's last vertex, which is then measured too: every sample of B is uncovered, which is exactly
 * when `coverage` returns first < 0 and mergeGeometry null.
 */

/** Margin m above: bounds the rounding of the distances compared with the tolerance. */
function roundingMargin(a: readonly Pt[], b: readonly Pt[]): number {
  let big = 0;
  for (const p of a) big = Math.max(big, Math.abs(p[0]), Math.abs(p[1]));
  for (const p of b) big = Math.max(big, Math.abs(p[0]), Math.abs(p[1]));
  return 1e-9 * (1 + big);
}

/**
 * True only when no sample of B can lie within `tol` of A. Gives up (false) as soon as a step
 * would be shorter than the sampling step, so it never measures more points than sampling would. Also
 * false for a tolerance <= 0 (sampling would not end) and for an empty B (which `coverage`
 * rejects in its own way): the full test then behaves as it always has.
 */
function farApart(a: readonly Pt[], b: readonly Pt[], tol: number, clear: number): boolean {
  if (!(tol > 0) || b.length === 0) return false;
  const minStep = tol / 2;
  const q: Pt = [b[0]![0], b[0]![1]];
  let k = 0;
  let along = 0;
  let atEnd = b.length === 1;
  for (;;) {
    const r = distanceToPolyline(q, a).d - clear;
    if (atEnd) return r > 0;
    if (!(r >= minStep)) return false;
    let rest = r;
    for (;;) {
      if (k + 1 >= b.length) {
        const last = b[b.length - 1]!;
        q[0] = last[0];
        q[1] = last[1];
        atEnd = true;
        break;
      }
      const p0 = b[k]!;
      const p1 = b[k + 1]!;
      const len = Math.hypot(p1[0] - p0[0], p1[1] - p0[1]);
      if (along + rest < len) {
        along += rest;
        q[0] = p0[0] + (p1[0] - p0[0]) * (along / len);
        q[1] = p0[1] + (p1[1] - p0[1]) * (along / len);
        break;
      }
      rest -= len - along;
      along = 0;
      k++;
    }
  }
}

/**
 * How B's samples (every `step` along B, as `sampleAlong` places them, plus B's last point) lie
 * along A. A sample is covered when it is within `tol` of A. `first` is the index of the first
 * covered sample (-1 when none); `sFirst`/`sLast` are the arc lengths along B of the first and
 * last covered samples, `projFirst`/`projLast` those of their projections on A. Between the two,
 * the sample spacings with both ends covered add up to `coveredLen`, the others to
 * `interiorGap`; `lenB` is the arc length of the last sample.
 *
 * The samples are generated here rather than by `sampleAlong`, with the very same arithmetic in
 * the same order, so that no sample object is allocated: most pairs get here only because they
 * cross, and B is then far from A but for a few samples. The sums are added in index order, as a
 * loop over stored samples would add them, so every number comes out bit for bit the same.
 */
interface Coverage {
  first: number;
  sFirst: number;
  sLast: number;
  projFirst: number;
  projLast: number;
  lenB: number;
  coveredLen: number;
  interiorGap: number;
}

function coverage(
  a: readonly Pt[],
  arcA: Float64Array,
  b: Polyline,
  step: number,
  tol: number,
  clear: number,
): Coverage {
  const cov: Coverage = {
    first: -1,
    sFirst: 0,
    sLast: 0,
    projFirst: 0,
    projLast: 0,
    lenB: 0,
    coveredLen: 0,
    interiorGap: 0,
  };
  let count = 0;
  let prevS = 0;
  let prevCovered = false;
  // Running sums since `first`; the result keeps their values at the last covered sample.
  let coveredLen = 0;
  let interiorGap = 0;
  // Ball around the last uncovered sample measured whose samples are uncovered too (see above).
  let cx = 0;
  let cy = 0;
  let reach2 = 0;
  const take = (x: number, y: number, sv: number): void => {
    let covered = false;
    let proj = 0;
    const ex = x - cx;
    const ey = y - cy;
    if (!(reach2 > 0 && ex * ex + ey * ey < reach2)) {
      const near = distanceToPolyline([x, y], a, arcA);
      if (near.d <= tol) {
        covered = true;
        proj = near.s;
      } else {
        const r = near.d - clear;
        if (r > 0) {
          cx = x;
          cy = y;
          reach2 = r * r;
        }
      }
    }
    if (cov.first >= 0) {
      const seg = sv - prevS;
      if (prevCovered && covered) coveredLen += seg;
      else interiorGap += seg;
    }
    if (covered) {
      if (cov.first < 0) {
        cov.first = count;
        cov.sFirst = sv;
        cov.projFirst = proj;
      }
      cov.sLast = sv;
      cov.projLast = proj;
      cov.coveredLen = coveredLen;
      cov.interiorGap = interiorGap;
    }
    prevS = sv;
    prevCovered = covered;
    count++;
  };

  // sampleAlong(b, step), sample by sample.
  const pts = b.pts;
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
      take(p[0] + dx * t, p[1] + dy * t, next);
      next += step;
    }
    s += len;
  }
  const lastPt = pts[pts.length - 1]!;
  const lenB = lengthOf(pts);
  if (count === 0 || prevS < lenB - 1e-9) take(lastPt[0], lastPt[1], lenB);
  cov.lenB = prevS;
  return cov;
}

/** Merge duplicate measured lines of the same class (pixel space of one raster). */
export function mergeDuplicates(
  lines: readonly MeasuredLine[],
  opts: { gsdM: number; params: Pick<VectoriseParams, "duplicateToleranceM" | "duplicateMinOverlap"> },
): MeasuredLine[] {
  const geo: MergeGeometryOptions = {
    tolerance: opts.params.duplicateToleranceM / opts.gsdM,
    minOverlap: opts.params.duplicateMinOverlap,
    minSeamOverlap: 1 / opts.gsdM,
  };
  return mergeAll(lines, geo, (a, b, m) => combineMeasured(a, b, m, opts.gsdM));
}

/**
 * Pairwise merging until nothing merges, for any line type with a class and a polyline.
 *
 * The result is defined by the plain algorithm: repeatedly scan the pairs (i, j), i < j, of the
 * current list in lexicographic order, merge the first pair of one class whose boxes touch and
 * whose geometry merges (the union replaces the longer, the shorter is removed) and start again,
 * until a full scan merges nothing. Merge order matters (A~B and B~C but not A~C), so that exact
 * order is kept, without its cost:
 *
 * - A list position never moves relative to the others (the union takes the longer's place), so
 *   items live in fixed slots of the input array and "position order" is slot order.
 * - Whether a pair merges depends only on the two items (which one is `a` is decided by length,
 *   ties to the lower slot): a pair found not to merge is remembered and not tried again until
 *   one of its two slots is replaced (the later slot's version is stored with it; the earlier
 *   slot's partner list is rebuilt).
 * - A slot is `done` when every candidate pair with a later slot is known not to merge. All slots
 *   before the scan position are done; a merge undoes only the union's slot and the earlier
 *   slots that touch the union, and the scan resumes at the first of those. So each pass finds
 *   the same first merging pair the full rescan would find, and tries pairs in the same order.
 * - Candidate pairs come from a spatial index over the input boxes (padded by the tolerance, so
 *   that a search returns a superset of `boxesTouch`); slots replaced by a union are checked
 *   directly. Every candidate is tested with the exact class and `boxesTouch` test before use.
 */
export function mergeAll<T extends { classId: number; line: Polyline }>(
  items: readonly T[],
  opts: MergeGeometryOptions,
  combine: (a: T, b: T, m: GeometryMerge) => T,
): T[] {
  const pad = opts.tolerance;
  const n = items.length;
  const slots: (T | undefined)[] = items.slice();
  const boxes = items.map((l) => bbox(l.line.pts));
  const lengths = items.map((l) => lengthOf(l.line.pts));
  const version = new Uint32Array(n);
  const done = new Uint8Array(n);

  // Boxes that are not finite (or a tolerance that is not) stay out of the index, whose packing
  // assumes finite numbers; they are checked directly like replaced slots.
  const indexable = Number.isFinite(pad) && pad >= 0;
  const indexed: number[] = [];
  const direct: number[] = [];
  const isDirect = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    if (indexable && boxes[i]!.every(Number.isFinite)) indexed.push(i);
    else {
      direct.push(i);
      isDirect[i] = 1;
    }
  }
  let index: Flatbush | null = null;
  if (indexed.length > 0) {
    index = new Flatbush(indexed.length);
    // Padding the minimum corners makes the index's own box test the very comparisons of
    // boxesTouch (x0 - pad <= other x1, ...), so a search misses no touching box.
    for (const i of indexed) {
      const b = boxes[i]!;
      index.add(b[0] - pad, b[1] - pad, b[2], b[3]);
    }
    index.finish();
  }

  /** Live slots other than s holding an item of s's class whose box touches s's. */
  const touching = (s: number): number[] => {
    const item = slots[s]!;
    const box = boxes[s]!;
    const found: number[] = [];
    const consider = (t: number): void => {
      const other = slots[t];
      if (
        t !== s &&
        other !== undefined &&
        other.classId === item.classId &&
        boxesTouch(box, boxes[t]!, pad)
      ) {
        found.push(t);
      }
    };
    if (index) {
      // An indexed slot whose item was replaced is in `direct` now; its indexed box is stale.
      for (const k of index.search(box[0] - pad, box[1] - pad, box[2], box[3])) {
        const t = indexed[k]!;
        if (!isDirect[t]) consider(t);
      }
    }
    for (const t of direct) consider(t);
    return found;
  };

  // partners[s]: ascending later slots that may pair with s (a superset: stale entries are
  // filtered at use); rejectedAt[s][k]: version of partners[s][k] when the pair did not merge.
  const partners: number[][] = [];
  const rejectedAt: number[][] = [];
  const setPartners = (s: number, near: readonly number[]): void => {
    const later = near.filter((t) => t > s).sort((x, y) => x - y);
    partners[s] = later;
    rejectedAt[s] = new Array<number>(later.length).fill(-1);
  };
  for (let s = 0; s < n; s++) setPartners(s, touching(s));

  let u = 0;
  while (u < n) {
    const x = slots[u];
    if (x === undefined || done[u]) {
      u++;
      continue;
    }
    const ps = partners[u]!;
    const rs = rejectedAt[u]!;
    let resume = -1;
    for (let k = 0; k < ps.length; k++) {
      const t = ps[k]!;
      const y = slots[t];
      if (y === undefined || rs[k] === version[t]) continue;
      if (x.classId !== y.classId || !boxesTouch(boxes[u]!, boxes[t]!, pad)) continue;
      const xLonger = lengths[u]! >= lengths[t]!;
      const a = xLonger ? x : y;
      const b = xLonger ? y : x;
      const m = mergeGeometry(a.line, b.line, opts);
      if (!m) {
        rs[k] = version[t]!;
        continue;
      }
      const c = combine(a, b, m);
      const into = xLonger ? u : t;
      slots[into] = c;
      slots[xLonger ? t : u] = undefined;
      boxes[into] = bbox(c.line.pts);
      lengths[into] = lengthOf(c.line.pts);
      version[into]!++;
      done[into] = 0;
      if (!isDirect[into]) {
        isDirect[into] = 1;
        direct.push(into);
      }
      const near = touching(into);
      setPartners(into, near);
      resume = u;
      for (const v of near) {
        if (v >= into) continue;
        insertSorted(partners[v]!, rejectedAt[v]!, into);
        done[v] = 0;
        if (v < resume) resume = v;
      }
      break;
    }
    if (resume < 0) {
      done[u] = 1;
      u++;
    } else {
      u = resume;
    }
  }
  const out: T[] = [];
  for (const l of slots) if (l !== undefined) out.push(l);
  return out;
}

/** Add t to an ascending partner list (untried) unless it is there already. */
function insertSorted(list: number[], rejected: number[], t: number): void {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  if (list[lo] === t) return;
  list.splice(lo, 0, t);
  rejected.splice(lo, 0, -1);
}

function combineMeasured(a: MeasuredLine, b: MeasuredLine, m: GeometryMerge, gsdM: number): MeasuredLine {
  const lengthPx = lengthOf(m.line.pts);
  const wa = a.lengthPx;
  const wb = b.lengthPx;
  const bStart: EndKind = m.reversedB ? b.endKind : b.startKind;
  const bEnd: EndKind = m.reversedB ? b.startKind : b.endKind;
  const widthPx = (a.widthPx * wa + b.widthPx * wb) / (wa + wb);
  return {
    ...a,
    line: m.line,
    startKind: m.addedStart ? bStart : a.startKind,
    endKind: m.addedEnd ? bEnd : a.endKind,
    lengthPx,
    lengthM: lengthPx * gsdM,
    widthPx,
    widthM: widthPx * gsdM,
    widthResolved: a.widthResolved || b.widthResolved,
    confidence: (a.confidence * wa + b.confidence * wb) / (wa + wb),
    dash: combineDash(a.dash, b.dash, m, m.overlap * gsdM),
  };
}

/**
 * Dash statistics of a union: a contained duplicate adds nothing; an end-to-end join adds the
 * other line's dashes minus those counted twice in the overlap.
 */
function combineDash(
  a: DashMeasure | null,
  b: DashMeasure | null,
  m: Pick<GeometryMerge, "addedStart" | "addedEnd">,
  overlapM: number,
): DashMeasure | null {
  if (!a || !b || (!m.addedStart && !m.addedEnd)) return a ?? b;
  const period = (a.meanDashM + a.meanGapM + b.meanDashM + b.meanGapM) / 2;
  const twice = period > 0 ? Math.round(overlapM / period) : 0;
  const wa = a.count;
  const wb = b.count;
  return {
    count: Math.max(a.count, b.count, a.count + b.count - twice),
    meanDashM: (a.meanDashM * wa + b.meanDashM * wb) / (wa + wb),
    meanGapM: (a.meanGapM * a.gapCount + b.meanGapM * b.gapCount) / (a.gapCount + b.gapCount),
    medianDashM: (a.medianDashM + b.medianDashM) / 2,
    medianGapM: (a.medianGapM + b.medianGapM) / 2,
    gapCount: Math.max(a.gapCount, b.gapCount, a.gapCount + b.gapCount - twice),
    // Positions along the union are not kept for joined lines.
    dashesPx: [],
  };
}

type Box = [number, number, number, number];

function bbox(pts: readonly Pt[]): Box {
  let x0 = Number.POSITIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const p of pts) {
    x0 = Math.min(x0, p[0]);
    y0 = Math.min(y0, p[1]);
    x1 = Math.max(x1, p[0]);
    y1 = Math.max(y1, p[1]);
  }
  return [x0, y0, x1, y1];
}

function boxesTouch(a: Box, b: Box, pad: number): boolean {
  return a[0] - pad <= b[2] && b[0] - pad <= a[2] && a[1] - pad <= b[3] && b[1] - pad <= a[3];
}
