/**
 * What paints one lane line: its class (shared registry), physical stroke width, the gap between
 * the strokes of a double line, and the dash pattern of dashed classes.
 */
import { type DashPattern, DEFAULT_DOUBLE_GAP_M, laneClassById } from "@lanesegnet/shared";

export interface MarkingSpec {
  classId: number;
  /** Width of one painted stroke in metres (0.10–0.30). */
  strokeWidthM: number;
  /** Gap between the two strokes of a double line (ignored for single lines). */
  doubleGapM: number;
  /** Dash pattern for dashed classes, null for solid ones. */
  pattern: DashPattern | null;
}

/** Width of the whole marking as the label rule draws it (both strokes and the gap for doubles). */
export function markingLabelWidthM(spec: MarkingSpec): number {
  return laneClassById(spec.classId).double ? 2 * spec.strokeWidthM + spec.doubleGapM : spec.strokeWidthM;
}

export function makeMarking(
  classId: number,
  strokeWidthM: number,
  pattern: DashPattern | null = null,
  doubleGapM = DEFAULT_DOUBLE_GAP_M,
): MarkingSpec {
  const cls = laneClassById(classId);
  if (cls.id === 0) throw new RangeError("background is not a marking");
  if (cls.dashed && !pattern) throw new RangeError(`class ${cls.name} needs a dash pattern`);
  return { classId, strokeWidthM, doubleGapM, pattern: cls.dashed ? pattern : null };
}

/** The solid class of the same colour (dashed lines turn solid on junction approaches). */
export function solidVariant(classId: number): number {
  if (classId === 2) return 1;
  if (classId === 4) return 3;
  return classId;
}
