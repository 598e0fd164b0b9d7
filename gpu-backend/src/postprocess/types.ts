/**
 * Types shared by the vectorisation stages. Geometry is in continuous pixel coordinates of the
 * input raster (pixel (i, j) covers [i, i+1) x [j, j+1); its centre is (i + 0.5, j + 0.5)), the
 * same convention as the shared label rule.
 */

/** A point in continuous pixel coordinates (or, for merging across rasters, any planar frame). */
export type Pt = [number, number];

/**
 * A polyline with one flag per segment: `bridged[i]` is true when segment i (pts[i] -> pts[i+1])
 * was added by gap bridging and is not backed by the model's mask (a dash gap, a vehicle, ...).
 */
export interface Polyline {
  pts: Pt[];
  bridged: boolean[];
}

/** How a traced piece ends: at a free end of the skeleton, a junction, a class change or the raster edge. */
export type EndKind = "free" | "junction" | "split" | "border" | "clip";

/** Dash statistics measured along a dashed line (metres). */
export interface DashMeasure {
  /** Number of painted dashes seen along the line. */
  count: number;
  meanDashM: number;
  meanGapM: number;
  medianDashM: number;
  medianGapM: number;
  /** Number of complete gaps measured (a line with one dash has none). */
  gapCount: number;
  /** Painted intervals as [start, end] arc lengths along the line in pixels. */
  dashesPx: [number, number][];
}

/** A centreline with everything measured about it, in the raster's pixel space. */
export interface MeasuredLine {
  classId: number;
  line: Polyline;
  startKind: EndKind;
  endKind: EndKind;
  /** Planar length in pixels and in metres (pixels x ground resolution). */
  lengthPx: number;
  lengthM: number;
  /** Width of the marking's mask across the centreline. */
  widthPx: number;
  widthM: number;
  /**
   * False when the mask is no wider than the label rule's 3-pixel minimum plus the model's blur
   * (`floorSlackPx`), in the imagery's pixels where they are coarser than the grid's
   * (measure.ts): the paint is then narrower than the raster can resolve and widthM is only an
   * upper bound.
   */
  widthResolved: boolean;
  /** Mean probability of the class along the mask-backed (not bridged) part of the centreline. */
  confidence: number;
  dashed: boolean;
  /** Dash statistics when the dashes are observable (dashed classes only), else null. */
  dash: DashMeasure | null;
}

/** A region to keep, in pixel coordinates: rings with the even-odd rule (outer ring + holes). */
export interface ClipRegion {
  rings: Pt[][];
}
