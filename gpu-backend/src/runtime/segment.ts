/**
 * Segmentation of a whole raster: plan overlapping tiles, normalise each (the same pre-processing
 * as the evaluation CLI), batch equal-sized tiles, run them on the pool, and stitch the per-class
 * logits back into one C x H x W array without seams (each pixel comes from the one tile whose
 * interior holds it, so stitching logits is exact; softmax is left to whoever samples them).
 */
import { setMaxListeners } from "node:events";
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
  pool: Pick<InferencePool, "run" | "size">,
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
  // One analysis's batches share a signal of their own: the first that fails cancels the ones
  // still queued, so a failed analysis stops using the pool once it has been answered (its slot is
  // given to the next one), and its results are not stitched into logits nobody reads.
  const own = new AbortController();
  const onCallerAbort = () => own.abort(opts.signal?.reason);
  opts.signal?.addEventListener("abort", onCallerAbort, { once: true });
  // Every batch on the pool listens to it; that many listeners is expected, not a leak.
  setMaxListeners(Math.max(10, batches.length + 1), own.signal);
  const runBatch = async (batch: Tile[]) => {
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
    const result = await pool.run(input, [batch.length, 3, th, tw], own.signal);
    own.signal.throwIfAborted();
    inferenceMs += result.ms;
    classes = result.classes;
    logits ??= new Float32Array(classes * raster.width * raster.height);
    batch.forEach((t, b) => {
      stitch(logits!, raster.width, raster.height, result.logits, b, classes, t);
    });
  };
  // Inputs are made as batches go: a few more than the pool has workers, so none waits for work,
  // instead of every tile's input at once (hundreds of MB at the largest rasters).
  let next = 0;
  const runner = async () => {
    while (next < batches.length && !own.signal.aborted) await runBatch(batches[next++]!);
  };
  const runners = Math.max(1, Math.min(batches.length, pool.size + 1));
  try {
    await Promise.all(
      Array.from({ length: runners }, () =>
        runner().catch((e: unknown) => {
          own.abort(e);
          throw e;
        }),
      ),
    );
    // A runner that saw the abort stops quietly: the caller's hang-up is its outcome.
    own.signal.throwIfAborted();
  } finally {
    opts.signal?.removeEventListener("abort", onCallerAbort);
  }
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
