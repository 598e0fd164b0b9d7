/**
 * Measurements of a centreline in the raster's pixel space: planar length, marking width, model
 * confidence and (dashed classes) dash statistics. Geodesic length is computed later, on the
 * lon/lat geometry (to-geojson.ts).
 *
 * Width: the mask's cross-section (chord along the normal) sampled every pixel along the
 * mask-backed part of the line, each chord ending halfway between the last sample inside and the
 * first outside. That midpoint makes the estimate unbiased for pixel-centre masks (a pixel is in
 * when its centre is within half the width), which a distance transform sampled at pixel centres
 * is not: for a mark an even number of pixels wide, no pixel centre lies on the centreline and
 * 2 x the distance to background comes out one pixel short. The mean is trimmed (middle 60 %)
 * so crossings, junctions and line ends do not bias it.
 */
import { laneClassById, MIN_LABEL_WIDTH_PX } from "@lanesegnet/shared";
import { measureDashes } from "./dashes.js";
import type { MarkingRaster } from "./mask.js";
import type { VectoriseParams } from "./params.js";
import { lengthOf, sampleAlong } from "./polyline.js";
import { type ProfileSampler, probabilityProfile } from "./profile.js";
import { chordAt } from "./refine.js";
import type { ProbabilitySampler } from "./scores.js";
import type { EndKind, MeasuredLine, Polyline } from "./types.js";

export interface MeasureContext {
  raster: MarkingRaster;
  sampler: ProbabilitySampler;
  /** The imagery's brightness, when the caller has the imagery: dash statistics are measured on it. */
  brightness?: ProfileSampler | undefined;
  gsdM: number;
  /** The imagery's own ground resolution when coarser than gsdM (vectorise.ts). */
  sourceResolutionM?: number | undefined;
  params: VectoriseParams;
  /** Longest half-chord looked for, in pixels (wider masks measure as this). */
  maxHalfPx: number;
}

export function measureWidthPx(line: Polyline, ctx: MeasureContext): number {
  const widths: number[] = [];
  // Every pixel, or 400 cross-sections on long lines: plenty for a trimmed mean.
  const step = Math.max(1, lengthOf(line.pts) / 400);
  for (const s of sampleAlong(line, step)) {
    if (s.bridged) continue;
    const c = chordAt(ctx.raster, [s.x, s.y], [-s.dy, s.dx], ctx.maxHalfPx);
    if (c) widths.push(c[0] + c[1]);
  }
  if (widths.length === 0) return 0;
  widths.sort((a, b) => a - b);
  const lo = Math.floor(widths.length * 0.2);
  const hi = Math.max(lo + 1, Math.ceil(widths.length * 0.8));
  let sum = 0;
  for (let i = lo; i < hi; i++) sum += widths[i]!;
  return sum / (hi - lo);
}

/** Mean probability of the class at the mask-backed samples; null when the line has none. */
export function measureConfidence(
  line: Polyline,
  classId: number,
  sampler: ProbabilitySampler,
): number | null {
  let sum = 0;
  let n = 0;
  for (const s of sampleAlong(line, 0.5)) {
    // Bridged spans are gaps the model did not see as paint: they are not evidence either way.
    if (s.bridged) continue;
    sum += sampler.probAt(classId, s.x, s.y);
    n++;
  }
  return n > 0 ? sum / n : null;
}

/** The narrowest width that measures the paint: label floor plus blur, in the coarser pixels. */
function resolvableWidthM(ctx: MeasureContext): number {
  const pixelM = Math.max(ctx.gsdM, ctx.sourceResolutionM ?? 0);
  return (MIN_LABEL_WIDTH_PX + ctx.params.floorSlackPx) * pixelM;
}

export function measureLine(
  classId: number,
  line: Polyline,
  startKind: EndKind,
  endKind: EndKind,
  ctx: MeasureContext,
  knownWidthPx?: number,
  /**
   * What a piece cut from a measured line reports where it has no sample of its own (it lies in a
   * bridged gap, or holds under a pixel of paint): its line's width and confidence, not 0.
   */
  fallback?: { widthPx: number; confidence: number },
): MeasuredLine {
  const lengthPx = lengthOf(line.pts);
  const ownWidthPx = knownWidthPx ?? measureWidthPx(line, ctx);
  // A chord across paint is never 0 wide: 0 means that no cross-section found the mask.
  const widthPx = ownWidthPx > 0 || !fallback ? ownWidthPx : fallback.widthPx;
  const dashed = laneClassById(classId).dashed;
  const truncated = (k: EndKind): boolean => k === "border" || k === "clip";
  const dash = dashed
    ? measureDashes(line, classId, ctx.brightness ?? probabilityProfile(ctx.sampler), {
        gsdM: ctx.gsdM,
        minContrast: ctx.brightness ? ctx.params.dashMinBrightnessContrast : ctx.params.dashMinContrast,
        minRunPx: ctx.params.dashMinRunM / ctx.gsdM,
        minGapPx: ctx.params.dashMinGapM / ctx.gsdM,
        truncatedStart: truncated(startKind),
        truncatedEnd: truncated(endKind),
      })
    : null;
  return {
    classId,
    line,
    startKind,
    endKind,
    lengthPx,
    lengthM: lengthPx * ctx.gsdM,
    widthPx,
    widthM: widthPx * ctx.gsdM,
    // The model draws a marking at the label floor up to floorSlackPx wider than the label, so
    // only a mask wider than both measures the paint (+0.5 px over the floor called a blurred
    // 0.15 m line at 0.25 m/px "resolved" at 0.9-1.1 m). Counted in the imagery's pixels where
    // they are coarser than the grid's: 0.15 m imagery analysed at 0.08 m/px called a 0.47 m mask
    // (6 grid px, 3 imagery px) resolved.
    widthResolved: widthPx * ctx.gsdM > resolvableWidthM(ctx),
    confidence: measureConfidence(line, classId, ctx.sampler) ?? fallback?.confidence ?? 0,
    dashed,
    dash,
  };
}
