/**
 * Regional marking conventions: which class goes on the centre line, lane separators, edges and
 * the inner edges of divided roads, with which national dash patterns, in which traffic side.
 * The mix is weighted so every class of the registry gets a fair share of pixels (real AEL is ~54 %
 * white solid, ~46 % white dashed, and rare yellow/double lines).
 */
import { DASH_PATTERNS, type DashPattern } from "@lanesegnet/shared";
import type { Rng } from "../random.js";
import { type MarkingSpec, makeMarking } from "./marking.js";

export type StyleName = "US" | "BR" | "KR" | "JP" | "MY" | "EU" | "FR" | "UK" | "AU";

export type CentreKind =
  | "double-yellow"
  | "yellow-dashed"
  | "yellow-solid"
  | "double-white"
  | "white-dashed"
  | "white-solid"
  | "none";

export interface RegionStyle {
  name: StyleName;
  trafficSide: "right" | "left";
  /** Dash patterns used for lane separators and dashed centre lines. */
  patterns: readonly DashPattern[];
  centre: readonly (readonly [CentreKind, number])[];
  /** Colour of the left edge of one-way carriageways (divided roads, one-way streets). */
  innerEdge: "yellow" | "white";
  /** Probability that a street has edge lines; rural and highways almost always do. */
  edgeLineP: number;
  /** Probability that edge lines are dashed (French-style "ligne de rive"). */
  edgeDashedP: number;
  /** Probability of yellow kerb lines (parking restrictions), single or double. */
  kerbYellowP: number;
  /** Stroke width range in metres for streets; highways use the upper part. */
  strokeM: readonly [number, number];
  weight: number;
}

function patterns(...regions: string[]): DashPattern[] {
  return DASH_PATTERNS.filter((p) => regions.includes(p.region));
}

export const STYLES: readonly RegionStyle[] = [
  {
    name: "US",
    trafficSide: "right",
    patterns: patterns("US"),
    centre: [
      ["double-yellow", 0.38],
      ["yellow-dashed", 0.5],
      ["yellow-solid", 0.04],
      ["none", 0.08],
    ],
    innerEdge: "yellow",
    edgeLineP: 0.45,
    edgeDashedP: 0,
    kerbYellowP: 0.05,
    strokeM: [0.1, 0.16],
    weight: 0.26,
  },
  {
    name: "BR",
    trafficSide: "right",
    patterns: patterns("US", "EU-3:3"),
    centre: [
      ["double-yellow", 0.35],
      ["yellow-dashed", 0.55],
      ["yellow-solid", 0.07],
      ["none", 0.03],
    ],
    innerEdge: "yellow",
    edgeLineP: 0.45,
    edgeDashedP: 0,
    kerbYellowP: 0.05,
    strokeM: [0.1, 0.15],
    weight: 0.12,
  },
  {
    name: "KR",
    trafficSide: "right",
    patterns: patterns("EU-3:3", "US"),
    centre: [
      ["double-yellow", 0.45],
      ["yellow-dashed", 0.4],
      ["yellow-solid", 0.15],
    ],
    innerEdge: "yellow",
    edgeLineP: 0.35,
    edgeDashedP: 0,
    kerbYellowP: 0.1,
    strokeM: [0.1, 0.15],
    weight: 0.1,
  },
  {
    name: "JP",
    trafficSide: "left",
    patterns: patterns("EU-6:12", "EU-3:3"),
    centre: [
      ["yellow-solid", 0.35],
      ["white-dashed", 0.3],
      ["double-white", 0.2],
      ["white-solid", 0.15],
    ],
    innerEdge: "white",
    edgeLineP: 0.55,
    edgeDashedP: 0,
    kerbYellowP: 0,
    strokeM: [0.12, 0.2],
    weight: 0.05,
  },
  {
    name: "MY",
    trafficSide: "left",
    patterns: patterns("AU", "EU-3:3"),
    centre: [
      ["white-dashed", 0.35],
      ["double-white", 0.35],
      ["white-solid", 0.1],
      ["yellow-solid", 0.1],
      ["double-yellow", 0.1],
    ],
    innerEdge: "yellow",
    edgeLineP: 0.45,
    edgeDashedP: 0,
    kerbYellowP: 0.3,
    strokeM: [0.1, 0.15],
    weight: 0.05,
  },
  {
    name: "EU",
    trafficSide: "right",
    patterns: patterns("EU-6:12", "EU-3:3"),
    centre: [
      ["white-dashed", 0.4],
      ["double-white", 0.35],
      ["white-solid", 0.2],
      ["none", 0.05],
    ],
    innerEdge: "white",
    edgeLineP: 0.4,
    edgeDashedP: 0.1,
    kerbYellowP: 0.05,
    strokeM: [0.1, 0.3],
    weight: 0.15,
  },
  {
    name: "FR",
    trafficSide: "right",
    patterns: patterns("EU-3:3", "EU-6:12"),
    centre: [
      ["white-dashed", 0.45],
      ["double-white", 0.3],
      ["white-solid", 0.15],
      ["none", 0.1],
    ],
    innerEdge: "white",
    edgeLineP: 0.45,
    edgeDashedP: 0.45,
    kerbYellowP: 0.1,
    strokeM: [0.12, 0.25],
    weight: 0.05,
  },
  {
    name: "UK",
    trafficSide: "left",
    patterns: patterns("UK-1:5", "UK-2:7"),
    centre: [
      ["white-dashed", 0.4],
      ["double-white", 0.45],
      ["white-solid", 0.1],
      ["none", 0.05],
    ],
    innerEdge: "white",
    edgeLineP: 0.3,
    edgeDashedP: 0.05,
    kerbYellowP: 0.45,
    strokeM: [0.1, 0.2],
    weight: 0.12,
  },
  {
    name: "AU",
    trafficSide: "left",
    patterns: patterns("AU"),
    centre: [
      ["white-dashed", 0.4],
      ["double-white", 0.4],
      ["white-solid", 0.1],
      ["none", 0.1],
    ],
    innerEdge: "white",
    edgeLineP: 0.45,
    edgeDashedP: 0,
    kerbYellowP: 0.15,
    strokeM: [0.1, 0.15],
    weight: 0.1,
  },
];

export function styleByName(name: string): RegionStyle | undefined {
  return STYLES.find((s) => s.name === name);
}

export function pickStyle(rng: Rng): RegionStyle {
  return rng.weighted(STYLES.map((s) => [s, s.weight] as const));
}

/** Stroke width for a road of this importance (0 = local street … 1 = motorway). */
export function strokeWidth(style: RegionStyle, importance: number, rng: Rng): number {
  const [lo, hi] = style.strokeM;
  const base = lo + (hi - lo) * Math.min(1, Math.max(0, importance * 0.7 + rng.range(0, 0.5)));
  return Math.min(0.3, Math.max(0.1, base));
}

export function pickPattern(style: RegionStyle, rng: Rng): DashPattern {
  return rng.pick(style.patterns);
}

/** The centre marking of an undivided two-way road, or null for none. */
export function centreMarking(
  style: RegionStyle,
  kind: CentreKind,
  widthM: number,
  rng: Rng,
): MarkingSpec | null {
  const gap = rng.range(0.08, 0.2);
  switch (kind) {
    case "double-yellow":
      return makeMarking(6, widthM, null, gap);
    case "double-white":
      return makeMarking(5, widthM, null, gap);
    case "yellow-dashed":
      return makeMarking(4, widthM, pickPattern(style, rng));
    case "yellow-solid":
      return makeMarking(3, widthM);
    case "white-dashed":
      return makeMarking(2, widthM, pickPattern(style, rng));
    case "white-solid":
      return makeMarking(1, widthM);
    case "none":
      return null;
  }
}

/** Lane separator between same-direction lanes: almost always white dashed. */
export function separatorMarking(style: RegionStyle, widthM: number, rng: Rng): MarkingSpec {
  const r = rng.next();
  if (r < 0.07) return makeMarking(1, widthM);
  if (r < 0.13 && style.name !== "US" && style.name !== "BR")
    return makeMarking(5, widthM, null, rng.range(0.1, 0.2));
  return makeMarking(2, widthM, pickPattern(style, rng));
}

export function edgeMarking(style: RegionStyle, widthM: number, rng: Rng): MarkingSpec {
  if (rng.chance(style.edgeDashedP)) return makeMarking(2, widthM, rng.pick(patterns("EU-3:3", "UK-1:5")));
  return makeMarking(1, widthM);
}

export function innerEdgeMarking(style: RegionStyle, widthM: number): MarkingSpec {
  return makeMarking(style.innerEdge === "yellow" ? 3 : 1, widthM);
}

/** Yellow kerb restriction line (UK double yellow, elsewhere single), or null. */
export function kerbMarking(style: RegionStyle, rng: Rng): MarkingSpec | null {
  if (!rng.chance(style.kerbYellowP)) return null;
  const w = rng.range(0.08, 0.12);
  return style.name === "UK" || rng.chance(0.3)
    ? makeMarking(6, w, null, rng.range(0.06, 0.12))
    : makeMarking(3, w);
}
