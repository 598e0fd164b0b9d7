/**
 * Test scenes in metres (converted to pixels at any ground resolution): one road-like layout of
 * every kind of line the vectoriser must recover, and layouts of things it must reject.
 */
import { arcPoints, metresToPx, type SynthLane } from "./synthetic.js";
import type { Pt } from "./types.js";

export interface TruthLane {
  name: string;
  classId: number;
  /** Centreline in metres. */
  points: Pt[];
  /** Length in metres of what should be recovered (a dashed line ends with its last dash). */
  lengthM: number;
  dashed?: { dashM: number; gapM: number };
  lane: Omit<SynthLane, "points">;
}

const sCurve: Pt[] = [];
for (let y = 12; y <= 45; y += 0.25) sCurve.push([52 + 2.5 * Math.sin((2 * Math.PI * (y - 12)) / 33), y]);
const len = (pts: Pt[]): number => {
  let s = 0;
  for (let i = 1; i < pts.length; i++)
    s += Math.hypot(pts[i]![0] - pts[i - 1]![0], pts[i]![1] - pts[i - 1]![1]);
  return s;
};
// Starts are nudged off the pixel grid: a line exactly on a pixel boundary gets a mask one pixel
// wider than the label width (the rule includes centres at exactly half the width).
const along = (x0: number, y0: number, angle: number, l: number): Pt[] => {
  const x = x0 + 0.013;
  const y = y0 + 0.021;
  return [
    [x, y],
    [x + l * Math.cos(angle), y + l * Math.sin(angle)],
  ];
};

/** A 62 m x 62 m scene. */
export const SCENE_SIZE_M = 62;

export const ROAD_LANES: TruthLane[] = [
  { name: "straight", classId: 1, points: along(3, 3, 0.13, 37), lengthM: 37, lane: { classId: 1 } },
  {
    name: "arc",
    classId: 3,
    points: arcPoints(10, 50, 25, -1.2, -0.2, 0.25),
    lengthM: 25,
    lane: { classId: 3 },
  },
  { name: "s-curve", classId: 1, points: sCurve, lengthM: len(sCurve), lane: { classId: 1 } },
  {
    name: "dashed, gaps uncertain",
    classId: 2,
    points: along(3, 14, 0, 39),
    lengthM: 39,
    dashed: { dashM: 3, gapM: 9 },
    lane: { classId: 2, dash: { dashM: 3, gapM: 9, gaps: "uncertain" } },
  },
  {
    name: "dashed, gaps unlabelled",
    classId: 4,
    points: along(3, 20, 0.03, 39),
    lengthM: 39,
    dashed: { dashM: 3, gapM: 9 },
    lane: { classId: 4, dash: { dashM: 3, gapM: 9, gaps: "background" } },
  },
  {
    name: "double white",
    classId: 5,
    points: along(3, 30, 1.12, 25),
    lengthM: 25,
    lane: { classId: 5 },
  },
  {
    name: "double yellow",
    classId: 6,
    points: along(22, 57, 0.05, 13),
    lengthM: 13,
    lane: { classId: 6 },
  },
  {
    name: "solid under a vehicle",
    classId: 1,
    points: along(40, 50, 0.42, 19),
    lengthM: 19,
    lane: { classId: 1, holes: [[8, 12.5]] },
  },
];

export function lanesAt(truth: readonly TruthLane[], gsdM: number): SynthLane[] {
  return truth.map((t) => ({ ...t.lane, points: metresToPx(t.points, gsdM) }));
}

const zigzag: Pt[] = [];
for (let k = 0; k <= 10; k++) zigzag.push([5 + k * 1.5, 37 + (k % 2 === 0 ? 0 : 2)]);
const hairpin: Pt[] = [
  [30, 44],
  [38, 44],
  ...arcPoints(38, 45.5, 1.5, -Math.PI / 2, Math.PI / 2, 0.1).slice(1),
  [30, 47],
];

/** Things a model may output that are not road markings, each for one rule. */
export const IMPLAUSIBLE_LANES: (TruthLane & { rule: string })[] = [
  {
    name: "short stub",
    rule: "min_length",
    classId: 1,
    points: along(5, 5, 0.2, 1.5),
    lengthM: 1.5,
    lane: { classId: 1 },
  },
  {
    name: "2 m wide bright patch",
    rule: "paint_width",
    classId: 1,
    points: along(5, 12, 0.1, 10),
    lengthM: 10,
    lane: { classId: 1, paintWidthM: 2 },
  },
  {
    name: "one-pixel hairline",
    rule: "paint_width",
    classId: 3,
    points: along(5, 24, -0.05, 12),
    lengthM: 12,
    lane: { classId: 3, widthPx: 1 },
  },
  {
    name: "dashes 12 m long",
    rule: "dash_pattern",
    classId: 2,
    points: along(5, 30, 0, 50),
    lengthM: 50,
    lane: { classId: 2, dash: { dashM: 12, gapM: 3, gaps: "uncertain" } },
  },
  { name: "zig-zag", rule: "curvature|zigzag", classId: 1, points: zigzag, lengthM: 0, lane: { classId: 1 } },
  { name: "hairpin", rule: "curvature", classId: 3, points: hairpin, lengthM: 0, lane: { classId: 3 } },
];
