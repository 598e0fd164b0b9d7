/**
 * How well reported dash statistics match the painted pattern: each returned dashed line that
 * carries `dash` statistics is attributed to the true lane most of its vertices lie on (within
 * 0.5 m), and its mean dash and gap are compared with that lane's national pattern (the scene
 * generator paints every dashed lane with one pattern; DATA.md). Lines on true solid lines, or on
 * nothing, are left out: the vector matcher scores those.
 */
import { laneClassById } from "@lanesegnet/shared";
import { frameFor, nearest, project, segments } from "./vector-match.js";

export interface TruthDashLane {
  readonly classId: number;
  readonly coordinates: readonly (readonly [number, number])[];
  readonly pattern: { readonly dashM: number; readonly gapM: number } | null;
}

export interface ReportedDashLine {
  readonly dashed: boolean;
  readonly coordinates: readonly (readonly [number, number])[];
  readonly dash?:
    | { readonly count: number; readonly mean_dash_m: number; readonly mean_gap_m: number }
    | undefined;
}

export interface DashMatch {
  /** Reported dashed lines that lie on a true dashed lane. */
  readonly onDashedLanes: number;
  /** Of those, how many carry dash statistics. */
  readonly withStats: number;
  /** Per line with statistics: reported minus true, metres. */
  readonly dashErrorsM: number[];
  readonly gapErrorsM: number[];
  /** Per line with statistics: both the mean dash and the mean gap within 25 % of the pattern. */
  readonly within25: number;
}

const TOLERANCE_M = 0.5;

export function matchDashes(
  truth: readonly TruthDashLane[],
  reported: readonly ReportedDashLine[],
): DashMatch {
  // The vector matcher's local metric frame and nearest-line search, over the lanes.
  const frame = frameFor([...truth, ...reported]);
  const segs = segments(frame, truth);
  let onDashedLanes = 0;
  let withStats = 0;
  let within25 = 0;
  const dashErrorsM: number[] = [];
  const gapErrorsM: number[] = [];
  for (const r of reported) {
    if (!r.dashed) continue;
    const votes = new Map<number, number>();
    for (const c of r.coordinates) {
      const [x, y] = project(frame, c);
      const { d, line } = nearest(segs, x, y);
      if (line >= 0 && d <= TOLERANCE_M) votes.set(line, (votes.get(line) ?? 0) + 1);
    }
    const [laneIndex, count] = [...votes.entries()].sort((a, b) => b[1] - a[1])[0] ?? [];
    // Most of its vertices, not just one, must lie on the lane (a line crossing it touches it once).
    const lane = laneIndex === undefined || 2 * count! < r.coordinates.length ? undefined : truth[laneIndex];
    if (!lane?.pattern || !laneClassById(lane.classId).dashed) continue;
    onDashedLanes++;
    if (!r.dash) continue;
    withStats++;
    const dashErr = r.dash.mean_dash_m - lane.pattern.dashM;
    const gapErr = r.dash.mean_gap_m - lane.pattern.gapM;
    dashErrorsM.push(dashErr);
    gapErrorsM.push(gapErr);
    if (Math.abs(dashErr) <= 0.25 * lane.pattern.dashM && Math.abs(gapErr) <= 0.25 * lane.pattern.gapM)
      within25++;
  }
  return { onDashedLanes, withStats, dashErrorsM, gapErrorsM, within25 };
}

/** Median of absolute values (null for none). */
export function medianAbs(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = values.map(Math.abs).sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
