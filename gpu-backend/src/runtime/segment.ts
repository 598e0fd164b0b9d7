/**
 * Segmentation of a whole raster: plan overlapping tiles, normalise each (the same pre-processing
 * as the evaluation CLI), batch equal-sized tiles, run them on the pool, and stitch the per-class
 * logits back into one C x H x W array without seams (each pixel comes from the one tile whose
 * interior holds it, so stitching logits is exact; softmax is left to whoever samples them).
 */
import type { InferencePool } from "./pool.js";
import { type InputNormalisation, rgbWindowToCHW } from "./preprocess.js";
import { planTiles, type Tile } from "./tiling.js";

export interface RgbRaster {
  readonly width: number;
  readonly height: number;
  /** Interleaved RGB, 3 bytes per pixel, row-major. */
  readonly rgb: Uint8Array;
}

export interface SegmentOptions {
  readonly normalisation: InputNormalisation;
  readonly sizeMultiple: number;
  /** Largest window side the model runs on. */
  readonly maxTile: number;
  /** Pixels shared by neighbouring windows (context for the pixels near each seam). */
  readonly overlap: number;
  /** Tiles per inference call. */
  readonly batch: number;
  /** Aborts the batches not yet on a worker (the caller hung up). */
  readonly signal?: AbortSignal;
}

export interface Segmentation {
  readonly width: number;
  readonly height: number;
  readonly classes: number;
  /** Logits, C planes of width x height (ClassScores kind "logits"). */
  readonly logits: Float32Array;
  /** Argmax class per pixel. */
  readonly labels: Uint8Array;
  readonly tiles: number;
  readonly inferenceMs: number;
}

export async function segmentRaster(
  pool: InferencePool,
  raster: RgbRaster,
  opts: SegmentOptions,
): Promise<Segmentation> {
  opts.signal?.throwIfAborted();
  const tiles = planTiles(raster.width, raster.height, opts.maxTile, opts.overlap, opts.sizeMultiple);
  const batches: Tile[][] = [];
  for (let i = 0; i < tiles.length; i += opts.batch) batches.push(tiles.slice(i, i + opts.batch));
  let logits: Float32Array | undefined;
  let classes = 0;
  let inferenceMs = 0;
  await Promise.all(
    batches.map(async (batch) => {
      const first = batch[0]!;
      const tw = first.width;
      const th = first.height;
      const tilePlane = 3 * tw * th;
      const input = new Float32Array(batch.length * tilePlane);
      batch.forEach((t, b) => {
        rgbWindowToCHW(
          raster.rgb,
          raster.width,
          raster.height,
          t.x,
          t.y,
          tw,
          th,
          opts.normalisation,
          input,
          b * tilePlane,
        );
      });
      const result = await pool.run(input, [batch.length, 3, th, tw], opts.signal);
      inferenceMs += result.ms;
      classes = result.classes;
      logits ??= new Float32Array(classes * raster.width * raster.height);
      batch.forEach((t, b) => {
        stitch(logits!, raster.width, raster.height, result.logits, b, classes, t);
      });
    }),
  );
  const out = logits!;
  return {
    width: raster.width,
    height: raster.height,
    classes,
    logits: out,
    labels: argmax(out, classes, raster.width * raster.height),
    tiles: tiles.length,
    inferenceMs,
  };
}

function stitch(
  out: Float32Array,
  width: number,
  height: number,
  tileScores: Float32Array,
  index: number,
  classes: number,
  t: Tile,
): void {
  const plane = width * height;
  const tPlane = t.width * t.height;
  const base = index * classes * tPlane;
  const x1 = Math.min(t.keepX1, width);
  const y1 = Math.min(t.keepY1, height);
  const rowLen = x1 - t.keepX0;
  for (let k = 0; k < classes; k++) {
    for (let y = t.keepY0; y < y1; y++) {
      const src = base + k * tPlane + (y - t.y) * t.width + (t.keepX0 - t.x);
      out.set(tileScores.subarray(src, src + rowLen), k * plane + y * width + t.keepX0);
    }
  }
}

function argmax(scores: Float32Array, classes: number, plane: number): Uint8Array {
  const labels = new Uint8Array(plane);
  for (let p = 0; p < plane; p++) {
    let best = 0;
    let bestV = scores[p]!;
    for (let k = 1; k < classes; k++) {
      const v = scores[k * plane + p]!;
      if (v > bestV) {
        bestV = v;
        best = k;
      }
    }
    labels[p] = best;
  }
  return labels;
}
