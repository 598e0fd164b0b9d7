/**
 * The lane-class registry: one table shared by data, model, API and frontend.
 * Ids are part of the public contract (docs: ../shared/docs/DATA.md) and never change.
 */

export type LaneColour = "white" | "yellow";

export interface LaneClass {
  readonly id: number;
  readonly name: LaneClassName;
  readonly colour: LaneColour | null;
  readonly double: boolean;
  readonly dashed: boolean;
  /** Display colour for maps and overlays (#rrggbb). */
  readonly display: string;
  /** Width of one painted stroke in metres when nothing better is known. */
  readonly strokeWidthM: number;
  /**
   * Width of the whole marking in metres as the label rule draws it: one stroke for single lines,
   * both strokes plus the gap between them for double lines.
   */
  readonly labelWidthM: number;
}

export const LANE_CLASS_NAMES = [
  "background",
  "single_white_solid",
  "single_white_dashed",
  "single_yellow_solid",
  "single_yellow_dashed",
  "double_white_solid",
  "double_yellow_solid",
] as const;

export type LaneClassName = (typeof LANE_CLASS_NAMES)[number];
export type MarkingClassName = Exclude<LaneClassName, "background">;

export const DEFAULT_STROKE_WIDTH_M = 0.15;
/** Gap between the two strokes of a double line (typical 0.10–0.20 m). */
export const DEFAULT_DOUBLE_GAP_M = 0.1;
const DOUBLE_WIDTH_M = 2 * DEFAULT_STROKE_WIDTH_M + DEFAULT_DOUBLE_GAP_M;

export const LANE_CLASSES: readonly LaneClass[] = [
  {
    id: 0,
    name: "background",
    colour: null,
    double: false,
    dashed: false,
    display: "#000000",
    strokeWidthM: 0,
    labelWidthM: 0,
  },
  {
    id: 1,
    name: "single_white_solid",
    colour: "white",
    double: false,
    dashed: false,
    display: "#f5f5f5",
    strokeWidthM: DEFAULT_STROKE_WIDTH_M,
    labelWidthM: DEFAULT_STROKE_WIDTH_M,
  },
  {
    id: 2,
    name: "single_white_dashed",
    colour: "white",
    double: false,
    dashed: true,
    display: "#4fc3f7",
    strokeWidthM: DEFAULT_STROKE_WIDTH_M,
    labelWidthM: DEFAULT_STROKE_WIDTH_M,
  },
  {
    id: 3,
    name: "single_yellow_solid",
    colour: "yellow",
    double: false,
    dashed: false,
    display: "#ffd600",
    strokeWidthM: DEFAULT_STROKE_WIDTH_M,
    labelWidthM: DEFAULT_STROKE_WIDTH_M,
  },
  {
    id: 4,
    name: "single_yellow_dashed",
    colour: "yellow",
    double: false,
    dashed: true,
    display: "#ff9100",
    strokeWidthM: DEFAULT_STROKE_WIDTH_M,
    labelWidthM: DEFAULT_STROKE_WIDTH_M,
  },
  {
    id: 5,
    name: "double_white_solid",
    colour: "white",
    double: true,
    dashed: false,
    display: "#e040fb",
    strokeWidthM: DEFAULT_STROKE_WIDTH_M,
    labelWidthM: DOUBLE_WIDTH_M,
  },
  {
    id: 6,
    name: "double_yellow_solid",
    colour: "yellow",
    double: true,
    dashed: false,
    display: "#ff1744",
    strokeWidthM: DEFAULT_STROKE_WIDTH_M,
    labelWidthM: DOUBLE_WIDTH_M,
  },
];

export const NUM_CLASSES = LANE_CLASSES.length;
export const IGNORE_LABEL = 255;
export const MARKING_CLASS_IDS = [1, 2, 3, 4, 5, 6] as const;

export function laneClassById(id: number): LaneClass {
  const c = LANE_CLASSES[id];
  if (!c || c.id !== id) throw new RangeError(`unknown lane class id ${id}`);
  return c;
}

export function laneClassByName(name: string): LaneClass | undefined {
  return LANE_CLASSES.find((c) => c.name === name);
}

/**
 * Map the AEL attributes (single, white, solid) to a class id, per DATA.md. Double lines are
 * always solid in our registry: AEL's "double dashed" has no class of its own and counts as
 * double solid of its colour.
 */
export function classFromAelAttributes(single: boolean, white: boolean, solid: boolean): number {
  if (!single) return white ? 5 : 6;
  if (white) return solid ? 1 : 2;
  return solid ? 3 : 4;
}

export function aelAttributesFromClass(id: number): { single: boolean; white: boolean; solid: boolean } {
  const c = laneClassById(id);
  if (c.id === 0) throw new RangeError("background has no AEL attributes");
  return { single: !c.double, white: c.colour === "white", solid: !c.dashed };
}

/** A dash pattern in metres: painted length, then unpainted gap. */
export interface DashPattern {
  readonly region: string;
  readonly dashM: number;
  readonly gapM: number;
}

/**
 * National dash patterns seen from the air (dash / gap in metres). Used by the scene generator to
 * paint dashes and by the physics filter to accept dash and gap lengths.
 */
export const DASH_PATTERNS: readonly DashPattern[] = [
  { region: "US", dashM: 3, gapM: 9 },
  { region: "UK-1:5", dashM: 1, gapM: 5 },
  { region: "UK-2:7", dashM: 2, gapM: 7 },
  { region: "EU-6:12", dashM: 6, gapM: 12 },
  { region: "EU-3:3", dashM: 3, gapM: 3 },
  { region: "AU", dashM: 3, gapM: 9 },
];

/** Plausible ranges that cover every pattern above with wear and measurement slack. */
export const DASH_LENGTH_RANGE_M = { min: 0.5, max: 8 } as const;
export const GAP_LENGTH_RANGE_M = { min: 1.5, max: 15 } as const;
