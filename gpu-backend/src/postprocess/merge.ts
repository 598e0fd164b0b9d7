/**
 * Merge duplicate lines: two lines of one class that run within a tolerance of each other for
 * most of the shorter one's length are one marking seen twice (a wide mask that traced into two
 * branches, or the same line vectorised in two overlapping tiles). Lines that overlap only at
 * their ends, end to end (a line crossing a tile seam), are joined into one. The geometry core
 * works in any planar frame given the size of one unit in metres; `mergeDuplicates` merges
 * measured lines in pixel space and `mergeDuplicateFeatures` (merge-features.ts) GeoJSON features.
 */

import type { VectoriseParams } from "./params.js";
import {
  arcLengths,
  distanceToPolyline,
  lengthOf,
  reversePolyline,
  sampleAlong,
  slicePolyline,
} from "./polyline.js";
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
  const lenA = lengthOf(a.pts);
  const step = opts.tolerance / 2;
  let bb = b;
  let cov = coverage(a.pts, bb, step, opts.tolerance);
  if (cov.first < 0) return null;
  let reversedB = false;
  if (cov.proj[cov.last]! < cov.proj[cov.first]!) {
    bb = reversePolyline(b);
    reversedB = true;
    cov = coverage(a.pts, bb, step, opts.tolerance);
    if (cov.first < 0) return null;
  }
  const { s, covered, proj, first, last } = cov;
  const n = s.length;
  const lenB = s[n - 1]!;
  let coveredLen = 0;
  let interiorGap = 0;
  for (let i = 0; i + 1 < n; i++) {
    const seg = s[i + 1]! - s[i]!;
    if (covered[i] && covered[i + 1]) coveredLen += seg;
    else if (i >= first && i < last) interiorGap += seg;
  }
  const duplicate = coveredLen >= opts.minOverlap * Math.min(lenA, lenB);
  const nearStartOfA = proj[first]! <= 2 * opts.tolerance;
  const nearEndOfA = lenA - proj[last]! <= 2 * opts.tolerance;
  const hasPrefix = s[first]! > step;
  const hasSuffix = lenB - s[last]! > step;
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
  if (addStart) append(slicePolyline(bb, 0, s[first]!));
  append(a);
  if (addEnd) append(slicePolyline(bb, s[last]!, lenB));
  return { line: { pts, bridged }, overlap: coveredLen, reversedB, addedStart: addStart, addedEnd: addEnd };
}

function coverage(
  a: readonly Pt[],
  b: Polyline,
  step: number,
  tol: number,
): { s: Float64Array; covered: Uint8Array; proj: Float64Array; first: number; last: number } {
  const samples = sampleAlong(b, step);
  const lastPt = b.pts[b.pts.length - 1]!;
  const lenB = lengthOf(b.pts);
  if (samples.length === 0 || samples[samples.length - 1]!.s < lenB - 1e-9) {
    samples.push({ x: lastPt[0], y: lastPt[1], s: lenB, dx: 0, dy: 0, bridged: false });
  }
  const arcA = arcLengths(a);
  const n = samples.length;
  const s = new Float64Array(n);
  const covered = new Uint8Array(n);
  const proj = new Float64Array(n);
  let first = -1;
  let last = -1;
  for (let i = 0; i < n; i++) {
    const q = samples[i]!;
    s[i] = q.s;
    const { d, s: sa } = distanceToPolyline([q.x, q.y], a, arcA);
    proj[i] = sa;
    if (d <= tol) {
      covered[i] = 1;
      if (first < 0) first = i;
      last = i;
    }
  }
  return { s, covered, proj, first, last };
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

/** Pairwise merging until nothing merges, for any line type with a class and a polyline. */
export function mergeAll<T extends { classId: number; line: Polyline }>(
  items: readonly T[],
  opts: MergeGeometryOptions,
  combine: (a: T, b: T, m: GeometryMerge) => T,
): T[] {
  const out = items.slice();
  const boxes = out.map((l) => bbox(l.line.pts));
  let merged = true;
  while (merged) {
    merged = false;
    outer: for (let i = 0; i < out.length; i++) {
      for (let j = i + 1; j < out.length; j++) {
        const x = out[i]!;
        const y = out[j]!;
        if (x.classId !== y.classId || !boxesTouch(boxes[i]!, boxes[j]!, opts.tolerance)) continue;
        const [a, b, ia, ib] = lengthOf(x.line.pts) >= lengthOf(y.line.pts) ? [x, y, i, j] : [y, x, j, i];
        const m = mergeGeometry(a.line, b.line, opts);
        if (!m) continue;
        const c = combine(a, b, m);
        out[ia] = c;
        boxes[ia] = bbox(c.line.pts);
        out.splice(ib, 1);
        boxes.splice(ib, 1);
        merged = true;
        break outer;
      }
    }
  }
  return out;
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
export function combineDash(
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
