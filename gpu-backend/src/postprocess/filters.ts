/**
 * Physics filters: named rules, each in metres (scaled by the real ground resolution), that a
 * vectorised line must pass to be a plausible road marking. Each rule returns null to keep the
 * line or a short reason to remove it, so the caller can log why lines were dropped.
 */
import { laneClassById, MIN_LABEL_WIDTH_PX } from "@lanesegnet/shared";
import type { VectoriseParams } from "./params.js";
import { plain, sampleAlong } from "./polyline.js";
import type { DashMeasure, MeasuredLine, Pt } from "./types.js";

export type RuleName = "min_length" | "paint_width" | "dash_pattern" | "curvature" | "zigzag";

export interface RuleContext {
  gsdM: number;
  params: VectoriseParams;
}

export interface PhysicsRule {
  name: RuleName;
  check(line: MeasuredLine, ctx: RuleContext): string | null;
}

export interface Rejection {
  line: MeasuredLine;
  rule: RuleName;
  reason: string;
}

/**
 * Minimum length: specks and stubs are not markings. Solid lines must be longer than dashed ones
 * (a dash can be short). A line cut by the raster's edge continues outside, so it only needs the
 * shorter, dash-sized minimum.
 */
export const minLengthRule: PhysicsRule = {
  name: "min_length",
  check(l, { params }) {
    let min = l.dashed ? params.minLengthDashedM : params.minLengthSolidM;
    if (l.startKind === "border" || l.endKind === "border") min = Math.min(min, params.minLengthDashedM);
    return l.lengthM < min ? `length ${l.lengthM.toFixed(2)} m < ${min} m` : null;
  },
};

/**
 * Paint width: 0.05–0.5 m for single lines, up to 0.6 m for double lines. The label rule draws
 * every marking at least 3 pixels wide, so at coarse resolutions the mask of a 0.15 m line is
 * 3 px (0.9 m at 0.3 m/px): the upper limit is the wider of the paint limit plus a little slack
 * for the model's blur and that floor plus a larger one (a model trained on 3-px strokes blurs
 * them by up to ~2.5 px); the lower limit is 0.8 of the floor (2.4 px; or the paint
 * minimum where pixels are smaller than it): a model trained on those labels draws real markings
 * at least about 3 px wide, and the thinner strokes it draws were mostly false (params.ts).
 */
export const paintWidthRule: PhysicsRule = {
  name: "paint_width",
  check(l, { gsdM, params }) {
    const maxPaint = laneClassById(l.classId).double
      ? params.maxPaintWidthDoubleM
      : params.maxPaintWidthSingleM;
    const maxPx = Math.max(
      MIN_LABEL_WIDTH_PX + params.floorSlackPx,
      Math.ceil(maxPaint / gsdM - 1e-9) + params.widthSlackPx,
    );
    const minPx = Math.max(
      MIN_LABEL_WIDTH_PX * params.minMaskWidthOfLabelFloor,
      params.minPaintWidthM / gsdM,
    );
    if (l.widthPx > maxPx) return `width ${l.widthM.toFixed(2)} m > ${(maxPx * gsdM).toFixed(2)} m`;
    if (l.widthPx < minPx) return `width ${l.widthM.toFixed(2)} m < ${(minPx * gsdM).toFixed(2)} m`;
    return null;
  },
};

/** Why a dash pattern is outside the national patterns' ranges, or null when it is inside. */
function dashPatternViolation(
  dash: DashMeasure,
  params: VectoriseParams,
  which: "median" | "mean" = "median",
): string | null {
  const d = which === "median" ? dash.medianDashM : dash.meanDashM;
  const g = which === "median" ? dash.medianGapM : dash.meanGapM;
  const dr = params.dashLengthRangeM;
  const gr = params.gapLengthRangeM;
  if (d < dr.min || d > dr.max) return `dash ${d.toFixed(2)} m outside ${dr.min}–${dr.max} m`;
  if (g < gr.min || g > gr.max) return `gap ${g.toFixed(2)} m outside ${gr.min}–${gr.max} m`;
  return null;
}

/**
 * Dash pattern: where the dashes of a dashed line are clearly observed (at least
 * `dashPatternMinGaps` gaps), the median dash and the median gap must be within the national
 * patterns' ranges (registry DASH_LENGTH_RANGE_M / GAP_LENGTH_RANGE_M). Medians tolerate a dash
 * hidden under a vehicle. Seen over fewer gaps, an odd pattern says more about the measurement
 * (two dashes run together) than about the line: `withPlausibleDashes` then withdraws the dash
 * statistics instead, so no reported pattern is ever outside the national ranges.
 */
export const dashPatternRule: PhysicsRule = {
  name: "dash_pattern",
  check(l, { params }) {
    if (!l.dashed || !l.dash || l.dash.gapCount < params.dashPatternMinGaps) return null;
    return dashPatternViolation(l.dash, params);
  },
};

/**
 * The line with its dash statistics withdrawn (null) when they are not worth reporting: fewer
 * than `dashStatsMinGaps` gaps seen (one gap between two pieces of a short line says little), or
 * a median or a mean (what the response reports) outside the national ranges, or a mean that
 * could not be measured (dashes.ts typicalMean).
 */
export function withPlausibleDashes(l: MeasuredLine, params: VectoriseParams): MeasuredLine {
  if (!l.dash) return l;
  const { count, meanDashM, meanGapM } = l.dash;
  // The pattern must also fit the line: as many dashes as its length holds periods, give or take
  // the cut ones at its ends (or a quarter). More or fewer means the runs are not one pattern.
  const periods = l.lengthM / (meanDashM + meanGapM);
  const implausible =
    // Every comparison with NaN is false: an unmeasured mean would pass each check below.
    !Number.isFinite(meanDashM) ||
    !Number.isFinite(meanGapM) ||
    l.dash.gapCount < params.dashStatsMinGaps ||
    dashPatternViolation(l.dash, params, "median") !== null ||
    dashPatternViolation(l.dash, params, "mean") !== null ||
    Math.abs(count - periods) > Math.max(1.5, 0.25 * periods);
  return implausible ? { ...l, dash: null } : l;
}

/**
 * Curvature: within any stretch of `curvatureWindowM`, the line may not turn by more than a road
 * of radius `minRadiusM` would (window / radius radians). Headings are taken from chords at least
 * a metre and 6 pixels long, so the pixel staircase of a straight line does not look like turning.
 */
export const curvatureRule: PhysicsRule = {
  name: "curvature",
  check(l, { gsdM, params }) {
    const r = minTurnRadius(l.line.pts, params.curvatureWindowM / gsdM, Math.max(1 / gsdM, 6));
    return r * gsdM < params.minRadiusM
      ? `turns with radius ${(r * gsdM).toFixed(1)} m < ${params.minRadiusM} m`
      : null;
  },
};

/**
 * Smallest radius (pixels) implied by the heading change across any window of `windowPx`, with
 * headings of chords `chordPx` long. Infinity for a line too short to have two chords.
 */
export function minTurnRadius(pts: Pt[], windowPx: number, chordPx: number): number {
  return sharpestTurn(pts, windowPx, chordPx).radiusPx;
}

/**
 * The sharpest turn of a line: its radius (pixels, as minTurnRadius) and where it is, as the arc
 * length (pixels from the first point) of the middle of the window that turns most.
 */
export function sharpestTurn(
  pts: Pt[],
  windowPx: number,
  chordPx: number,
): { radiusPx: number; atPx: number } {
  const step = Math.max(0.5, chordPx / 6);
  const samples = sampleAlong(plain(pts), step);
  const c = Math.max(1, Math.round(chordPx / step));
  const w = Math.max(1, Math.round(windowPx / step));
  const n = samples.length - c;
  if (n < 2) return { radiusPx: Number.POSITIVE_INFINITY, atPx: 0 };
  const heading = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const a = samples[i]!;
    const b = samples[i + c]!;
    heading[i] = Math.atan2(b.y - a.y, b.x - a.x);
  }
  // Unwrap so differences across windows are true turning, then find the largest change.
  for (let i = 1; i < n; i++) {
    let d = heading[i]! - heading[i - 1]!;
    if (d > Math.PI) d -= 2 * Math.PI;
    if (d < -Math.PI) d += 2 * Math.PI;
    heading[i] = heading[i - 1]! + d;
  }
  let worst = 0;
  let worstAt = 0;
  const span = Math.min(w, n - 1);
  for (let i = 0; i + span < n; i++) {
    const turn = Math.abs(heading[i + span]! - heading[i]!);
    if (turn > worst) {
      worst = turn;
      worstAt = i;
    }
  }
  // Window i..i+span of chords starting at samples i..i+span, each c samples long.
  const mid = samples[Math.min(samples.length - 1, worstAt + Math.round((span + c) / 2))]!;
  return { radiusPx: worst > 0 ? (span * step) / worst : Number.POSITIVE_INFINITY, atPx: mid.s };
}

/**
 * Zig-zag: a line that keeps turning left and right is a chain of blobs, not paint, even when it
 * goes nowhere on average (so the curvature rule's signed turning cancels out). Measured as
 * sinuosity: path length over chord length for every stretch of `curvatureWindowM`, averaged
 * along the line. A road curve of radius 3 m scores 1.04 over 3 m; a zig-zag scores far more.
 */
export const zigzagRule: PhysicsRule = {
  name: "zigzag",
  check(l, { gsdM, params }) {
    const s = sinuosity(l.line.pts, params.curvatureWindowM / gsdM);
    return s > params.maxSinuosity ? `sinuosity ${s.toFixed(2)} > ${params.maxSinuosity}` : null;
  },
};

/** Mean ratio of path length to chord over windows of `windowPx` along the line. */
export function sinuosity(pts: Pt[], windowPx: number): number {
  const step = Math.max(0.5, windowPx / 12);
  const samples = sampleAlong(plain(pts), step);
  const k = Math.max(1, Math.round(windowPx / step));
  if (samples.length < 2) return 1;
  if (samples.length <= k) {
    const a = samples[0]!;
    const b = samples[samples.length - 1]!;
    const chord = Math.hypot(b.x - a.x, b.y - a.y);
    return chord > 0 ? (b.s - a.s) / chord : 1;
  }
  let sum = 0;
  let n = 0;
  for (let i = 0; i + k < samples.length; i++) {
    const a = samples[i]!;
    const b = samples[i + k]!;
    const chord = Math.hypot(b.x - a.x, b.y - a.y);
    sum += chord > 0 ? (b.s - a.s) / chord : 10;
    n++;
  }
  return sum / n;
}

export const PHYSICS_RULES: readonly PhysicsRule[] = [
  minLengthRule,
  paintWidthRule,
  dashPatternRule,
  curvatureRule,
  zigzagRule,
];

export function applyPhysicsFilters(
  lines: readonly MeasuredLine[],
  ctx: RuleContext,
  rules: readonly PhysicsRule[] = PHYSICS_RULES,
): { kept: MeasuredLine[]; rejected: Rejection[] } {
  const kept: MeasuredLine[] = [];
  const rejected: Rejection[] = [];
  for (const line of lines) {
    let verdict: Rejection | null = null;
    for (const rule of rules) {
      const reason = rule.check(line, ctx);
      if (reason !== null) {
        verdict = { line, rule: rule.name, reason };
        break;
      }
    }
    if (verdict) rejected.push(verdict);
    else kept.push(line);
  }
  return { kept, rejected };
}
