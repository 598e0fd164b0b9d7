/**
 * Dash statistics from a profile along a dashed line.
 *
 * The profile is the imagery's (brightness.ts: how much brighter, or yellower, the paint is than
 * the road beside it) when the caller has the imagery, as the backend always does; otherwise the
 * model's probability of the class (profile.ts), which shows dashes only where the model is
 * unsure in the gaps: the label rule paints a dashed line continuously, gaps included (DATA.md).
 * We sample the profile every half pixel, take a running median over half a metre, and split it
 * at the midpoint between its low and high levels (10th and 90th percentiles). Painted runs under
 * 0.25 m and gaps under 1 m are noise (real gaps are 1.5 m or more) and join their neighbours, and
 * so does a "dash" under half the median dash (a bright fleck in a gap). When the two levels
 * differ by less than a minimum contrast the dashes are not observable and no statistics are
 * reported (the line is still dashed by class). Dashes cut by the raster edge or the clip region
 * do not count towards the mean length, nor do gaps where a dash is worn away towards the mean gap.
 */

import { sampleAlong } from "./polyline.js";
import type { ProfileSampler } from "./profile.js";
import type { DashMeasure, Polyline } from "./types.js";

export interface DashOptions {
  gsdM: number;
  minContrast: number;
  /** Painted runs shorter than this are noise. */
  minRunPx: number;
  /** Gaps shorter than this are noise (real gaps are at least 1.5 m). */
  minGapPx: number;
  /** The line's start / end is not a real end of the marking (raster edge, clip). */
  truncatedStart: boolean;
  truncatedEnd: boolean;
}

const STEP = 0.5;

export function measureDashes(
  line: Polyline,
  classId: number,
  sampler: ProfileSampler,
  opts: DashOptions,
): DashMeasure | null {
  const samples = sampleAlong(line, STEP);
  const n = samples.length;
  if (n < 8) return null;
  // The profile across the line at each sample (the sampler decides how), then a running median
  // over about half a metre: per-pixel noise must not look like dashes.
  const raw = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const q = samples[i]!;
    raw[i] = sampler.across(classId, q.x, q.y, -q.dy, q.dx);
  }
  const half = Math.max(2, Math.round(0.25 / opts.gsdM / STEP));
  const prof = runningMedian(raw, half);
  const sorted = Array.from(prof).sort((a, b) => a - b);
  const lo = sorted[Math.floor(0.1 * (n - 1))]!;
  const hi = sorted[Math.ceil(0.9 * (n - 1))]!;
  if (hi - lo < opts.minContrast) return null;
  const thr = (lo + hi) / 2;

  // Runs of paint (1) and gap (0), as sample index ranges.
  const runs: { on: boolean; a: number; b: number }[] = [];
  for (let i = 0; i < n; i++) {
    const on = prof[i]! >= thr;
    const last = runs[runs.length - 1];
    if (last && last.on === on) last.b = i;
    else runs.push({ on, a: i, b: i });
  }
  // Runs too short to be a dash or a gap are noise: they join their neighbours, shortest first.
  const minOn = Math.max(1, Math.round(opts.minRunPx / STEP));
  const minOff = Math.max(1, Math.round(opts.minGapPx / STEP));
  for (;;) {
    let worst = -1;
    let worstLen = Number.POSITIVE_INFINITY;
    for (let i = 1; i + 1 < runs.length; i++) {
      const r = runs[i]!;
      const len = r.b - r.a + 1;
      if (len < (r.on ? minOn : minOff) && len < worstLen) {
        worst = i;
        worstLen = len;
      }
    }
    if (worst < 0) break;
    const left = runs[worst - 1]!;
    const right = runs[worst + 1]!;
    left.b = right.b;
    runs.splice(worst, 2);
  }
  // A bright spot in a gap (a stone, a patch, a glint) splits it into two short gaps around a
  // "dash" far shorter than the painted ones: merge such runs into their gap. Painted dashes of one
  // line have one length, so anything under half the median is not one of them.
  for (;;) {
    const inner = runs.filter((r, i) => r.on && i > 0 && i < runs.length - 1).map((r) => r.b - r.a + 1);
    if (inner.length < 3) break;
    const floor = 0.5 * medianOf(inner);
    let worst = -1;
    for (let i = 1; i + 1 < runs.length; i++) {
      const r = runs[i]!;
      if (r.on && r.b - r.a + 1 < floor && (worst < 0 || r.b - r.a < runs[worst]!.b - runs[worst]!.a))
        worst = i;
    }
    if (worst < 0) break;
    runs[worst - 1]!.b = runs[worst + 1]!.b;
    runs.splice(worst, 2);
  }
  // A gap before the first dash or after the last one is not between dashes: drop it.
  const leadingGap = runs[0]?.on === false;
  const trailingGap = runs[runs.length - 1]?.on === false;
  const dashes = runs.filter((r) => r.on);
  if (dashes.length === 0) return null;
  const halfStep = STEP / 2;
  const lastS = samples[n - 1]!.s;
  const toArc = (r: { a: number; b: number }): [number, number] => [
    Math.max(0, samples[r.a]!.s - halfStep),
    Math.min(lastS, samples[r.b]!.s + halfStep),
  ];
  const dashesPx = dashes.map(toArc);
  const gapsPx: number[] = [];
  for (let i = 0; i + 1 < dashesPx.length; i++) gapsPx.push(dashesPx[i + 1]![0] - dashesPx[i]![1]);
  if (gapsPx.length === 0) return null;

  let complete = dashesPx.map(([a, b]) => b - a);
  // A dash touching a truncated end may be cut short: leave it out of the mean when others remain.
  const k0 = opts.truncatedStart && !leadingGap ? 1 : 0;
  const k1 = opts.truncatedEnd && !trailingGap ? 1 : 0;
  if (complete.length - k0 - k1 >= 1) complete = complete.slice(k0, complete.length - k1);
  const g = opts.gsdM;
  return {
    count: dashes.length,
    // The means of the typical dashes and gaps, within half to one and a half times their medians,
    // as cut dashes are left out: a worn-away dash joins two gaps and itself into one long gap, a
    // white car on a gap splits it into two short ones or reads as a long dash.
    meanDashM: typicalMean(complete) * g,
    meanGapM: typicalMean(gapsPx) * g,
    medianDashM: medianOf(complete) * g,
    medianGapM: medianOf(gapsPx) * g,
    gapCount: gapsPx.length,
    dashesPx,
  };
}

/**
 * Mean of the values within [0.5, 1.5] x their median. NaN when none is: an even count whose two
 * middle values are far apart (gaps of 2 m and 20 m) has no typical value, and withPlausibleDashes
 * then withdraws the statistics rather than report a number nothing measured.
 */
function typicalMean(v: number[]): number {
  const m = medianOf(v);
  return mean(v.filter((x) => x >= 0.5 * m && x <= 1.5 * m));
}

/** Running median over 2 * half + 1 samples (ends use what is there). */
function runningMedian(v: Float64Array, half: number): Float64Array {
  const n = v.length;
  const out = new Float64Array(n);
  const w = new Float64Array(2 * half + 1);
  for (let i = 0; i < n; i++) {
    const lo = Math.max(0, i - half);
    const hi = Math.min(n - 1, i + half);
    let m = 0;
    // Insertion sort of a handful of values: cheaper than Array.prototype.sort.
    for (let j = lo; j <= hi; j++) {
      const x = v[j]!;
      let k = m++;
      while (k > 0 && w[k - 1]! > x) {
        w[k] = w[k - 1]!;
        k--;
      }
      w[k] = x;
    }
    out[i] = w[m >> 1]!;
  }
  return out;
}

function mean(v: number[]): number {
  let s = 0;
  for (const x of v) s += x;
  return v.length ? s / v.length : Number.NaN;
}

function medianOf(v: number[]): number {
  const s = v.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
