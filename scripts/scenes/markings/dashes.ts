/**
 * Painted intervals of a lane line: where along its own arc length paint was laid. Solid lines are
 * painted end to end; dashed lines follow the national dash/gap pattern from a phase.
 */
import type { DashPattern } from "@lanesegnet/shared";

export type Interval = [number, number];

/**
 * Dash intervals on [0, length] for a pattern starting `phaseM` into its period (0 = a dash starts
 * at 0). Partial dashes at the ends are kept only when at least `minPieceM` long.
 */
export function dashIntervals(
  length: number,
  pattern: DashPattern,
  phaseM: number,
  minPieceM = 0.3,
): Interval[] {
  const period = pattern.dashM + pattern.gapM;
  const out: Interval[] = [];
  const phase = ((phaseM % period) + period) % period;
  for (let start = -phase; start < length; start += period) {
    const a = Math.max(0, start);
    const b = Math.min(length, start + pattern.dashM);
    if (b - a >= minPieceM) out.push([a, b]);
  }
  return out;
}

/** Shift intervals by -offset and keep the parts inside [0, length]. */
export function shiftIntervals(intervals: readonly Interval[], offset: number, length: number): Interval[] {
  const out: Interval[] = [];
  for (const [a, b] of intervals) {
    const na = Math.max(0, a - offset);
    const nb = Math.min(length, b - offset);
    if (nb > na + 1e-9) out.push([na, nb]);
  }
  return out;
}
