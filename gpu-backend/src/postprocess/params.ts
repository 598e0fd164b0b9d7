/**
 * Every tunable of the vectoriser, in metres where it is a physical length, so the same values
 * work at every ground resolution. Defaults are chosen for road markings seen at 0.05–0.35 m/px.
 */
import { DASH_LENGTH_RANGE_M, GAP_LENGTH_RANGE_M } from "@lanesegnet/shared";

export interface VectoriseParams {
  /** Skeleton branches from a free end to a junction shorter than this are thinning spurs. */
  spurM: number;
  /** Skeleton loops shorter than this (around small holes in the mask) are removed. */
  loopM: number;
  /** Junctions closer than this are one crossing (thinning splits an X into two Y junctions). */
  junctionMergeM: number;
  /** Two skeleton branches through a junction continue as one line when they bend less than this. */
  junctionMaxTurnDeg: number;
  /** Class runs along a traced line shorter than this are absorbed by their neighbours. */
  minClassRunM: number;

  /** Bridging: largest end-to-end gap for solid classes (vehicles, shadows). */
  bridgeMaxGapSolidM: number;
  /** Bridging: largest gap for dashed classes (national gaps up to 15 m, a little slack). */
  bridgeMaxGapDashedM: number;
  /** Bridging: largest angle between an end's direction and the bridge, and between the two ends. */
  bridgeMaxAngleDeg: number;
  /** Bridging: largest sideways offset of one end from the other's extension on a straight road. */
  bridgeLateralM: number;
  /** Bridging: tightest road radius assumed when allowing extra sideways offset on long gaps. */
  bridgeMinRadiusM: number;
  /** Pieces shorter than this do not take part in bridging (noise, specks). */
  bridgeMinPieceM: number;
  /** A gap may be at most this many times the shorter of the two pieces it joins. */
  bridgeMaxGapPerLength: number;

  /** Douglas–Peucker tolerance: the simplified line never moves further than this. */
  simplifyToleranceM: number;
  /**
   * Gaussian smoothing of each line that passed the physics rules, sigma in pixels (0: none). In
   * pixels, not metres: what it removes is the mask edges wandering by a pixel or two, whatever the
   * resolution.
   */
  smoothSigmaPx: number;

  /** Paint width limits for single and double lines (the label rule's 3-px minimum is allowed for). */
  minPaintWidthM: number;
  maxPaintWidthSingleM: number;
  maxPaintWidthDoubleM: number;
  /** Extra mask width in pixels tolerated for model blur before the width rule rejects a line. */
  widthSlackPx: number;
  /**
   * Thinnest mask kept, as a share of the label rule's 3-px floor: the model learnt that every
   * marking is at least 3 px wide, so what it draws much thinner is mostly not paint.
   */
  minMaskWidthOfLabelFloor: number;
  /** Extra mask width in pixels over the 3-px label floor (where the floor, not paint, sets it). */
  floorSlackPx: number;
  /** Minimum lengths. */
  minLengthSolidM: number;
  minLengthDashedM: number;
  /** Plausible dash and gap lengths (medians along a line must fall inside). */
  dashLengthRangeM: { min: number; max: number };
  /**
   * Gaps a line must show before its dash pattern can condemn it; with fewer, an implausible
   * pattern only withdraws the dash statistics (the line stays).
   */
  dashPatternMinGaps: number;
  /** Dash statistics are reported only for lines with at least this many gaps seen. */
  dashStatsMinGaps: number;
  gapLengthRangeM: { min: number; max: number };
  /** Curvature: the line must not turn more than window/minRadius within any window of this length. */
  curvatureWindowM: number;
  /** Lines at least this long are cut at a sharp turn instead of being judged whole (kinks.ts). */
  kinkCutMinLengthM: number;
  minRadiusM: number;
  /** Zig-zag: mean path-to-chord ratio over curvature windows above this means a jagged false line. */
  maxSinuosity: number;

  /** Dashes: minimum probability contrast between dashes and gaps for the dashes to count as seen. */
  dashMinContrast: number;
  /** Dashes, measured on the imagery: minimum brightness contrast (0-1) between dashes and gaps. */
  dashMinBrightnessContrast: number;
  /** Dashes: painted runs shorter than this along the profile are noise. */
  dashMinRunM: number;
  /** Dashes: gaps shorter than this along the profile are noise (real gaps are 1.5 m or more). */
  dashMinGapM: number;

  /** Duplicate merging: lines of one class closer than this for most of their length are one line. */
  duplicateToleranceM: number;
  /** Duplicate merging: share of the shorter line that must lie within the tolerance. */
  duplicateMinOverlap: number;

  /** Clipped pieces shorter than this are dropped (slivers at the area's edge). */
  minClippedLengthM: number;
}

export const DEFAULT_PARAMS: Readonly<VectoriseParams> = Object.freeze({
  spurM: 0.6,
  loopM: 1.5,
  junctionMergeM: 1,
  junctionMaxTurnDeg: 25,
  minClassRunM: 2,

  bridgeMaxGapSolidM: 10,
  bridgeMaxGapDashedM: GAP_LENGTH_RANGE_M.max + 1,
  bridgeMaxAngleDeg: 20,
  bridgeLateralM: 0.3,
  bridgeMinRadiusM: 40,
  bridgeMinPieceM: 0.6,
  bridgeMaxGapPerLength: 6,

  simplifyToleranceM: 0.08,
  // Tuned on worlds 36-45 (eval:vectors, model 0.3.0), found / false / offset: 0.25 m/px 85.5 /
  // 12.5 % / 0.099 m -> 85.8 / 11.9 % / 0.096 m; 0.30 m/px 76.8 / 8.1 / 0.112 -> 77.0 / 7.8 /
  // 0.106; 0.15 m/px 86.8 / 10.2 / 0.073 -> 86.8 / 10.1 / 0.072. Smoothing before the rules did
  // more for found (0.30 m/px: 78.7 %) by flattening a blob zig-zag below the sinuosity limit.
  smoothSigmaPx: 4,

  minPaintWidthM: 0.05,
  maxPaintWidthSingleM: 0.5,
  maxPaintWidthDoubleM: 0.6,
  widthSlackPx: 1.5,
  // Measured on generated worlds 36-45 (model 0.3.0; worlds 31-35 of eval:vectors kept for the
  // report; `npm run eval:vectors -- --seeds 36,37,38,39,40,41,42,43,44,45 --lines F` gives the rows): lines whose mask is under 2.4 px wide were 68-100 % false at 0.15, 0.25 and 0.30 m/px
  // (e.g. 0.25 m/px: 1,070 m reported, 870 m false), those at 2.8 px and wider 1-30 %.
  minMaskWidthOfLabelFloor: 0.8,
  // Worlds 36-45: at 0.25 m/px 0.3.0 drew real white dashed lines 4.6-5.6 px wide (1.16-1.40 m),
  // so floor + 1.5 px removed whole 140-170 m lines; floor + 2.5 keeps them.
  floorSlackPx: 2.5,
  minLengthSolidM: 3,
  minLengthDashedM: 1.5,
  dashLengthRangeM: { min: DASH_LENGTH_RANGE_M.min, max: DASH_LENGTH_RANGE_M.max },
  // Generated worlds 36-45, model 0.3.0: the rule applied from one gap on removed ~460 m of true
  // lines and ~30 m of false ones: the model often runs dashes together, so a real 3 m / 3 m line
  // "measures" 10-13 m dashes over 3-5 gaps. From 7 gaps on it removed nothing true there.
  dashPatternMinGaps: 7,
  dashStatsMinGaps: 2,
  gapLengthRangeM: { min: GAP_LENGTH_RANGE_M.min, max: GAP_LENGTH_RANGE_M.max },
  curvatureWindowM: 3,
  // Worlds 36-45: the curvature rule removed whole 50-184 m lines of 0.3.0's for one kink of radius
  // 2.5-2.7 m; the implausible shapes it exists for (hairpin, zig-zag) are 20-25 m long.
  kinkCutMinLengthM: 40,
  minRadiusM: 3,
  maxSinuosity: 1.1,

  dashMinContrast: 0.2,
  dashMinBrightnessContrast: 0.03,
  dashMinRunM: 0.25,
  dashMinGapM: 1,

  duplicateToleranceM: 0.3,
  duplicateMinOverlap: 0.7,

  minClippedLengthM: 0.2,
});

export function resolveParams(overrides?: Partial<VectoriseParams>): VectoriseParams {
  return { ...DEFAULT_PARAMS, ...overrides };
}
