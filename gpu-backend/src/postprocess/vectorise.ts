/**
 * The vectoriser: segmentation output (argmax classes + per-class scores) of one raster to
 * measured, filtered centreline polylines in pixel space. Each stage is its own module:
 *
 *   mask      argmax -> union marking mask (padded), pinholes filled
 *   thin      Guo–Hall thinning to a one-pixel skeleton
 *   trace     skeleton -> graph of ends, junctions and paths
 *   prune     drop thinning spurs and hole loops (metres)
 *   chains    join paths through junctions where they continue straight
 *   classify  class per line from the argmax, split where it really changes
 *   refine    centre on the mask's cross-section, extend free ends to the mask's end
 *   simplify  Douglas–Peucker within a tolerance in metres
 *   bridge    join collinear pieces of one class across gaps (vehicles, dash gaps)
 *   measure   width, confidence, dash statistics, length
 *   filters   physics rules in metres
 *   merge     duplicate lines become one
 *   smooth    pixel-scale wobble taken out of the lines kept, which are measured again
 *   clip      cut to the requested area, re-measure
 */
import { NUM_CLASSES } from "@lanesegnet/shared";
import type { RgbRaster } from "../runtime/segment.js";
import { bridgePieces } from "./bridge.js";
import { BrightnessSampler } from "./brightness.js";
import { clipPolyline } from "./clip.js";
import { applyPhysicsFilters, type Rejection, withPlausibleDashes } from "./filters.js";
import { cutAtSharpTurns } from "./kinks.js";
import { buildMarkingRaster, dropWideRegions, fillPinholes } from "./mask.js";
import { type MeasureContext, measureLine, measureWidthPx } from "./measure.js";
import { mergeDuplicates } from "./merge.js";
import { resolveParams, type VectoriseParams } from "./params.js";
import { bridgeOptions, extractPieces, maxHalfWidthPx } from "./pieces.js";
import { lengthOf, slicePolyline } from "./polyline.js";
import { argmaxClasses, type ClassScores, ProbabilitySampler } from "./scores.js";
import { smoothAlong } from "./smooth.js";
import type { ClipRegion, EndKind, MeasuredLine, Polyline } from "./types.js";

export interface SegmentationOutput {
  width: number;
  height: number;
  /**
   * Argmax class per pixel, row-major (0 = background; 255 = ignore counts as background).
   * Computed from `scores` when absent.
   */
  classIds?: Uint8Array;
  /** Per-class scores, C x H x W: softmax probabilities or logits (say which). */
  scores: ClassScores;
}

export interface VectoriseOptions {
  /** Real ground resolution of the raster in metres per pixel (Mercator resolution x cos(lat)). */
  groundResolutionM: number;
  /**
   * The imagery's own ground resolution, where it is coarser than the raster (imagery resampled
   * up onto a finer grid): a width is then resolved only beyond the label floor plus blur in the
   * imagery's pixels, since finer grid pixels add no detail.
   */
  sourceResolutionM?: number;
  /** Keep only the parts of lines inside this pixel-space region (the requested area). */
  clip?: ClipRegion;
  /** Keep only these class ids (the request's class filter); all marking classes by default. */
  classes?: readonly number[];
  params?: Partial<VectoriseParams>;
  /**
   * The analysed imagery (same size as the segmentation): dash statistics are then measured on its
   * brightness (brightness.ts), otherwise on the model's probability.
   */
  image?: RgbRaster;
}

export interface VectoriseResult {
  lines: MeasuredLine[];
  /** Lines removed by the physics filters, with the rule and the reason. */
  rejected: Rejection[];
  /** Milliseconds spent in each stage. */
  timingsMs: Record<string, number>;
  /** Mask pixels dropped before tracing as parts of regions far wider than any marking. */
  wideRegionPixels: number;
}

export function vectorise(out: SegmentationOutput, opts: VectoriseOptions): VectoriseResult {
  const gsd = opts.groundResolutionM;
  if (!(gsd > 0 && Number.isFinite(gsd))) throw new RangeError(`ground resolution must be > 0, got ${gsd}`);
  const { width, height } = out;
  const params = resolveParams(opts.params);
  const timingsMs: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (name: string): void => {
    const t = performance.now();
    timingsMs[name] = (timingsMs[name] ?? 0) + (t - t0);
    t0 = t;
  };
  const px = (m: number): number => m / gsd;

  const sampler = new ProbabilitySampler(out.scores, width, height);
  const classIds = out.classIds ?? argmaxClasses(out.scores, width, height);
  // Class ids outside the registry (a model with extra channels) count as background.
  const raster = buildMarkingRaster(classIds, width, height, Math.min(out.scores.channels, NUM_CLASSES));
  fillPinholes(raster);
  const wideRegionPixels = dropWideRegions(raster, Math.ceil(maxHalfWidthPx(gsd)) + 1);
  lap("mask");

  const pieces = extractPieces(raster, gsd, params, lap);

  const bridged = bridgePieces(pieces, bridgeOptions(gsd, params)).flatMap((b) =>
    cutAtSharpTurns(b, gsd, params),
  );
  lap("bridge");

  const brightness = opts.image ? new BrightnessSampler(opts.image, gsd) : undefined;
  if (brightness && (brightness.width !== width || brightness.height !== height)) {
    throw new RangeError(
      `the image is ${brightness.width}x${brightness.height}, the segmentation ${width}x${height}`,
    );
  }
  const ctx: MeasureContext = {
    raster,
    sampler,
    brightness,
    gsdM: gsd,
    sourceResolutionM: opts.sourceResolutionM,
    params,
    maxHalfPx: maxHalfWidthPx(gsd),
  };
  const measured: MeasuredLine[] = [];
  for (const b of bridged) {
    // The label rule's round caps reach half a width past a line's real ends: trim free ends.
    const widthPx = measureWidthPx(b.line, ctx);
    const line = trimFreeEnds(b.line, b.startKind, b.endKind, widthPx / 2);
    if (line.pts.length < 2) continue;
    measured.push(measureLine(b.classId, line, b.startKind, b.endKind, ctx, widthPx));
  }
  lap("measure");

  const { kept, rejected } = applyPhysicsFilters(measured, { gsdM: gsd, params });
  let lines = mergeDuplicates(kept, { gsdM: gsd, params });
  if (opts.classes) {
    const wanted = new Set(opts.classes);
    lines = lines.filter((l) => wanted.has(l.classId));
  }
  lap("filter");
  lines = lines.map((l) => smoothed(l, ctx));
  lap("smooth");

  if (opts.clip) {
    const clipped: MeasuredLine[] = [];
    for (const l of lines) {
      for (const piece of clipPolyline(l.line, opts.clip)) {
        if (lengthOf(piece.line.pts) < px(params.minClippedLengthM)) continue;
        const sk: EndKind = piece.cutStart ? "clip" : l.startKind;
        const ek: EndKind = piece.cutEnd ? "clip" : l.endKind;
        const whole = !piece.cutStart && !piece.cutEnd;
        if (whole) {
          clipped.push(l);
          continue;
        }
        // A piece with nothing of its own to measure (part of a dashed line's gap inside the area,
        // with at most a sliver of the next dash) keeps the width and the confidence of the line
        // it was cut from, which the model did see, instead of a width of 0 and a confidence of 0.
        clipped.push(measureLine(l.classId, piece.line, sk, ek, ctx, undefined, l));
      }
    }
    lines = clipped;
    lap("clip");
  }
  // After clipping, which measures the pieces again.
  lines = lines.map((l) => withPlausibleDashes(l, params));
  return { lines, rejected, timingsMs, wideRegionPixels };
}

/** The line smoothed (smooth.ts) and measured again, with the width it was judged by. */
function smoothed(l: MeasuredLine, ctx: MeasureContext): MeasuredLine {
  if (!(ctx.params.smoothSigmaPx > 0)) return l;
  const line = { pts: smoothAlong(l.line.pts, ctx.params.smoothSigmaPx), bridged: l.line.bridged };
  return measureLine(l.classId, line, l.startKind, l.endKind, ctx, l.widthPx);
}

/** Shorten free ends by `by` pixels (never more than a third of the line). */
function trimFreeEnds(line: Polyline, startKind: EndKind, endKind: EndKind, by: number): Polyline {
  const len = lengthOf(line.pts);
  const cut = Math.min(by, len / 3);
  const s0 = startKind === "free" ? cut : 0;
  const s1 = endKind === "free" ? len - cut : len;
  if (s0 === 0 && s1 === len) return line;
  return slicePolyline(line, s0, s1);
}
