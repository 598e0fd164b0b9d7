/**
 * A road: a centreline path plus a cross-section that can vary along it (lane tapers). The
 * cross-section gives lane-line boundaries (lateral offset + marking runs), lane slots for traffic,
 * pavement edges and medians. Offsets are metres along the right-hand normal of the path.
 */
import type { MarkingSpec } from "../markings/marking.js";
import type { Path } from "./path.js";

export type Profile = (s: number) => number;

export type RoadKind = "street" | "arterial" | "rural" | "highway" | "ramp" | "ring" | "oneway";

export interface MarkingRun {
  s0: number;
  s1: number;
  spec: MarkingSpec;
}

export type BoundaryRole = "centre" | "separator" | "edge" | "inner-edge" | "kerb";

export interface Boundary {
  offset: Profile;
  runs: MarkingRun[];
  role: BoundaryRole;
}

export interface LaneSlot {
  centre: Profile;
  width: Profile;
  /** +1: traffic runs with increasing s, -1 against. */
  dir: 1 | -1;
  parking: boolean;
}

export type MedianKind = "raised-grass" | "raised-concrete" | "barrier" | "painted";

export interface Median {
  left: Profile;
  right: Profile;
  kind: MedianKind;
}

export interface Sidewalk {
  /** Side of the path: -1 left, +1 right. */
  side: -1 | 1;
  /** Grass verge between kerb and sidewalk, metres. */
  verge: number;
  width: number;
}

export interface Road {
  id: number;
  kind: RoadKind;
  path: Path;
  /** Outer pavement edges (left is negative). */
  surfaceLeft: Profile;
  surfaceRight: Profile;
  /** Largest |offset| of the pavement anywhere (for spatial queries). */
  maxHalfWidth: number;
  boundaries: Boundary[];
  lanes: LaneSlot[];
  medians: Median[];
  sidewalks: Sidewalk[];
  kerb: boolean;
  /** Markings of this road stop this far outside other roads' pavement (stop lines, crossings). */
  setback: number;
  /** The part of the path whose pavement interrupts other roads' markings. */
  cutFrom: number;
  cutTo: number;
  /** Higher priority roads are drawn later (their pavement over minor roads' ends). */
  priority: number;
  /** Elevated roads (bridges) do not cut markings below and are drawn above them. */
  elevated: boolean;
  /** Marking importance 0..1 (paint width, wear). */
  importance: number;
  /** Roads of one group share a surface material (AEL lines that together make one carriageway). */
  materialGroup?: number;
}

export const constant =
  (v: number): Profile =>
  () =>
    v;

/** Smooth 0→1 ramp between s0 and s1. */
export function smoothRamp(s: number, s0: number, s1: number): number {
  if (s <= s0) return 0;
  if (s >= s1) return 1;
  const t = (s - s0) / (s1 - s0);
  return t * t * (3 - 2 * t);
}
