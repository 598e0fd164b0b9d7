/**
 * Give traced lines their class. The skeleton is traced on the union of all marking classes, so
 * each line reads the argmax class under its points, smooths it (a majority over about a metre)
 * and is cut where the class really changes for a while (runs shorter than a minimum are taken
 * over by their neighbours). A short line gets its majority class.
 */

import type { Chain } from "./chains.js";
import { labelAt, type MarkingRaster } from "./mask.js";
import { arcLengths } from "./polyline.js";
import type { EndKind, Pt } from "./types.js";

export interface ClassPiece {
  classId: number;
  pts: Pt[];
  startKind: EndKind;
  endKind: EndKind;
}

export interface ClassifyOptions {
  /** Half-window of the majority filter, in points (about a metre). */
  windowPts: number;
  /** Class runs shorter than this many pixels of arc length are absorbed. */
  minRunPx: number;
  numClasses: number;
}

export function splitByClass(chain: Chain, raster: MarkingRaster, opts: ClassifyOptions): ClassPiece[] {
  const { pts } = chain;
  const n = pts.length;
  const raw = new Uint8Array(n);
  for (let i = 0; i < n; i++) raw[i] = pointLabel(raster, pts[i]!);
  const votes = new Int32Array(opts.numClasses);
  const smooth = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    votes.fill(0);
    const lo = Math.max(0, i - opts.windowPts);
    const hi = Math.min(n - 1, i + opts.windowPts);
    for (let k = lo; k <= hi; k++) votes[raw[k]!]!++;
    smooth[i] = argmaxFrom1(votes);
  }
  // Runs of one class: [startIndex, endIndex] inclusive with arc lengths.
  const arc = arcLengths(pts);
  let runs: { cls: number; a: number; b: number }[] = [];
  for (let i = 0; i < n; i++) {
    const last = runs[runs.length - 1];
    if (last && last.cls === smooth[i]) last.b = i;
    else runs.push({ cls: smooth[i]!, a: i, b: i });
  }
  const runLen = (r: { a: number; b: number }): number =>
    arc[Math.min(n - 1, r.b + 1)]! - arc[Math.max(0, r.a)]!;
  // Absorb short runs (and unknown-class runs) into the longer neighbour, shortest first.
  while (runs.length > 1) {
    let worst = -1;
    let worstLen = Number.POSITIVE_INFINITY;
    runs.forEach((r, i) => {
      const len = r.cls === 0 ? -1 : runLen(r);
      if ((r.cls === 0 || len < opts.minRunPx) && len < worstLen) {
        worst = i;
        worstLen = len;
      }
    });
    if (worst < 0) break;
    const r = runs[worst]!;
    const left = runs[worst - 1];
    const right = runs[worst + 1];
    const target = !left ? right! : !right ? left : runLen(left) >= runLen(right) ? left : right;
    if (target === left) left.b = r.b;
    else target.a = r.a;
    runs.splice(worst, 1);
    // Neighbours of equal class become one run.
    const merged: typeof runs = [];
    for (const q of runs) {
      const last = merged[merged.length - 1];
      if (last && last.cls === q.cls) last.b = q.b;
      else merged.push({ ...q });
    }
    runs = merged;
  }
  const pieces: ClassPiece[] = [];
  runs.forEach((r, i) => {
    if (r.cls === 0) return;
    // Pieces share their boundary point so the line stays continuous.
    const a = r.a;
    const b = Math.min(n - 1, r.b + 1);
    if (b <= a) return;
    pieces.push({
      classId: r.cls,
      pts: pts.slice(a, b + 1).map((p) => [p[0], p[1]] as Pt),
      startKind: i === 0 ? chain.startKind : "split",
      endKind: i === runs.length - 1 ? chain.endKind : "split",
    });
  });
  return pieces;
}

/** Class under a point, or the majority of its 3 x 3 neighbourhood when it sits on background. */
function pointLabel(r: MarkingRaster, p: Pt): number {
  const v = labelAt(r, p[0], p[1]);
  if (v > 0) return v;
  const votes = new Int32Array(16);
  for (let dy = -1; dy <= 1; dy++)
    for (let dx = -1; dx <= 1; dx++) votes[labelAt(r, p[0] + dx, p[1] + dy)]!++;
  return argmaxFrom1(votes);
}

/** Index of the largest vote among classes >= 1 (0 when there is none). */
function argmaxFrom1(votes: Int32Array): number {
  let best = 0;
  let bestV = 0;
  for (let c = 1; c < votes.length; c++) {
    if (votes[c]! > bestV) {
      best = c;
      bestV = votes[c]!;
    }
  }
  return best;
}
