/**
 * A road network and the lane lines it paints: marking runs are sampled along their boundaries and
 * cut where they enter another road's pavement (plus this road's setback for stop lines and
 * crossings), dashed separators may turn solid on junction approaches, and every surviving piece
 * becomes one lane line (one polyline, one class) with its painted intervals.
 */
import { dashIntervals, type Interval, shiftIntervals } from "../markings/dashes.js";
import { type MarkingSpec, solidVariant } from "../markings/marking.js";
import type { Rng } from "../random.js";
import { cumulativeLength, type Pt, slicePolyline } from "./polyline.js";
import type { BoundaryRole, Road } from "./road.js";
import { SurfaceIndex } from "./surface-index.js";

export interface JunctionArm {
  roadId: number;
  /** Arc length on the arm's road at the junction point. */
  sAtJunction: number;
  /** +1 when the arm leaves the junction with increasing s. */
  sense: 1 | -1;
  /** Traffic on this arm stops or gives way: it gets stop bars and crossings. */
  yields: boolean;
}

export interface Junction {
  x: number;
  y: number;
  arms: JunctionArm[];
  /** Kerb radius of the corners (metres). */
  filletM: number;
  crosswalks: boolean;
  stopBars: boolean;
}

/** A parking lot: a rotated rectangle beside a road, stalls painted as background distractors. */
export interface ParkingLot {
  cx: number;
  cy: number;
  /** Unit vector along the stall rows. */
  ux: number;
  uy: number;
  halfLen: number;
  halfWid: number;
}

/** Central island of a roundabout. */
export interface Island {
  cx: number;
  cy: number;
  r: number;
}

export interface RoadNetwork {
  roads: Road[];
  junctions: Junction[];
  lots: ParkingLot[];
  islands: Island[];
}

export interface LaneLine {
  roadId: number;
  role: BoundaryRole;
  spec: MarkingSpec;
  /** Centreline in metres (scene frame: x right, y down). */
  points: Pt[];
  /** Painted intervals along the line's own arc length, metres. */
  painted: Interval[];
}

const SAMPLE_M = 0.25;

/** Cut every marking run at other roads' pavement and turn the pieces into lane lines. */
export function buildLaneLines(net: RoadNetwork, rng: Rng): LaneLine[] {
  const lines: LaneLine[] = [];
  const ground = net.roads.filter((r) => !r.elevated);
  const raised = net.roads.filter((r) => r.elevated);
  const groundIndex = new SurfaceIndex(ground);
  const raisedIndex = new SurfaceIndex(raised);
  for (const road of net.roads) {
    const index = road.elevated ? raisedIndex : groundIndex;
    const solidApproach = rng.chance(0.5);
    const approachLen = rng.range(8, 30);
    for (const b of road.boundaries) {
      for (const run of b.runs) {
        const pieces = outsideIntervals(road, b.offset, run.s0, run.s1, index, road.setback);
        for (const piece of pieces) {
          // An end of the piece that is the end of its run where the next run of the boundary
          // (another marking: a no-passing zone) takes over, not a cut at other pavement.
          const meetsPrev = !piece.cutStart && piece.s0 === run.s0 && b.runs.some((r) => r.s1 === run.s0);
          const meetsNext = !piece.cutEnd && piece.s1 === run.s1 && b.runs.some((r) => r.s0 === run.s1);
          // `joins`: the part's ends that meet another line of the same boundary.
          const split: { s0: number; s1: number; spec: MarkingSpec; joins: [boolean, boolean] }[] = [];
          const dashed = (b.role === "separator" || b.role === "centre") && run.spec.pattern !== null;
          const len = piece.s1 - piece.s0;
          if (dashed && solidApproach && len > approachLen + 15 && (piece.cutStart || piece.cutEnd)) {
            // Lines often turn solid before a junction (no lane changes or overtaking at the stop
            // line); centre lines often become double lines there.
            const doubled = b.role === "centre" && rng.chance(0.6);
            const classId = doubled ? (run.spec.classId === 4 ? 6 : 5) : solidVariant(run.spec.classId);
            const solid = { ...run.spec, classId, pattern: null };
            let a = piece.s0;
            let c = piece.s1;
            if (piece.cutStart) {
              split.push({ s0: a, s1: a + approachLen, spec: solid, joins: [false, true] });
              a += approachLen;
            }
            if (piece.cutEnd) c -= approachLen;
            const joins: [boolean, boolean] = [piece.cutStart || meetsPrev, piece.cutEnd || meetsNext];
            split.push({ s0: a, s1: c, spec: run.spec, joins });
            if (piece.cutEnd) split.push({ s0: c, s1: piece.s1, spec: solid, joins: [true, false] });
          } else split.push({ s0: piece.s0, s1: piece.s1, spec: run.spec, joins: [meetsPrev, meetsNext] });
          for (const part of split) {
            const { s0, s1, spec, joins } = part;
            const line = makeLine(road, b.offset, b.role, s0, s1, spec, piece.cutStart, joins, rng);
            if (line) lines.push(line);
          }
        }
      }
    }
  }
  return lines;
}

export interface Piece {
  s0: number;
  s1: number;
  cutStart: boolean;
  cutEnd: boolean;
}

/** Intervals of [s0, s1] where a lateral offset of `road` is not on another road's pavement (+ margin). */
export function outsideIntervals(
  road: Road,
  offset: (s: number) => number,
  s0: number,
  s1: number,
  index: SurfaceIndex,
  margin: number,
  sample = SAMPLE_M,
): Piece[] {
  const n = Math.max(1, Math.ceil((s1 - s0) / sample));
  const pieces: Piece[] = [];
  let start = -1;
  let prevInside = true;
  for (let k = 0; k <= n; k++) {
    const s = s0 + ((s1 - s0) * k) / n;
    const p = road.path.offsetPoint(s, offset(s));
    const inside = index.coveringRoad(p[0], p[1], road.id, margin) >= 0;
    if (!inside && start < 0) {
      start = s;
      prevInside = k > 0;
    }
    if (inside && start >= 0) {
      pieces.push({ s0: start, s1: s, cutStart: prevInside, cutEnd: true });
      start = -1;
    }
  }
  if (start >= 0) pieces.push({ s0: start, s1, cutStart: prevInside, cutEnd: false });
  return pieces.filter((p) => p.s1 - p.s0 > 1);
}

function makeLine(
  road: Road,
  offset: (s: number) => number,
  role: BoundaryRole,
  s0: number,
  s1: number,
  spec: MarkingSpec,
  dashFromStart: boolean,
  joins: readonly [boolean, boolean],
  rng: Rng,
): LaneLine | null {
  let points = road.path.offsetCurve(s0, s1, offset, 1);
  let length = 0;
  for (let i = 1; i < points.length; i++) {
    length += Math.hypot(points[i]![0] - points[i - 1]![0], points[i]![1] - points[i - 1]![1]);
  }
  if (length < 1.5) return null;
  let painted: Interval[] = [[0, length]];
  if (spec.pattern) {
    const period = spec.pattern.dashM + spec.pattern.gapM;
    // After a junction the first dash usually starts at the cut; elsewhere the phase is arbitrary.
    const phase = dashFromStart && rng.chance(0.7) ? 0 : rng.range(0, period);
    painted = dashIntervals(length, spec.pattern, phase);
    if (painted.length === 0) return null;
    // The line (and its label) runs from the first painted dash to the last one, except at an end
    // that meets another line of its boundary (a solid approach, a no-passing zone): DATA.md labels
    // a dashed line through its gaps, so the gap before the next line is this line's too
    // (generator 1.0.0 left it background).
    const a = joins[0] ? 0 : painted[0]![0];
    const b = joins[1] ? length : painted[painted.length - 1]![1];
    if (a > 0 || b < length) {
      points = slicePolyline(points, cumulativeLength(points), a, b);
      painted = shiftIntervals(painted, a, b - a);
      length = b - a;
    }
  }
  return { roadId: road.id, role, spec, points, painted };
}

/**
 * Arc length on an arm's road where its centreline leaves the other roads' pavement, walking away
 * from the junction; used to place stop bars and crossings.
 */
export function armEdge(net: RoadNetwork, arm: JunctionArm, index: SurfaceIndex): number {
  const road = net.roads.find((r) => r.id === arm.roadId)!;
  let s = arm.sAtJunction;
  for (let k = 0; k < 400; k++) {
    const p = road.path.offsetPoint(s, 0);
    if (index.coveringRoad(p[0], p[1], road.id, 0) < 0) return s;
    s += 0.25 * arm.sense;
    if (s < 0 || s > road.path.length) break;
  }
  return s;
}
