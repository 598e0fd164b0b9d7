import { fileURLToPath } from "node:url";
import { InferenceSession, Tensor } from "onnxruntime-node";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ProbabilitySampler } from "../postprocess/scores.js";
import { type LoadedModel, loadModelManifest } from "./model-manifest.js";
import { InferencePool } from "./pool.js";
import { rgbWindowToCHW } from "./preprocess.js";
import { type RgbRaster, segmentRaster } from "./segment.js";
import { planTiles } from "./tiling.js";

// The shipped model on a real demo-store image, through the real worker pool, compared with a
// plain onnxruntime session in this thread.
const MODEL = fileURLToPath(new URL("../../../models/lanesegnet-lite.onnx", import.meta.url));
const IMAGE = fileURLToPath(new URL("../../demo-store/90000000.jpg", import.meta.url));
const C = 7;

let pool: InferencePool;
let session: InferenceSession;
let model: LoadedModel;
let raster: RgbRaster;

beforeAll(async () => {
  model = await loadModelManifest(MODEL, MODEL.replace(/\.onnx$/, ".json"));
  pool = await InferencePool.start({
    modelPath: MODEL,
    executionProviders: ["cpu"],
    workers: 1,
    threadsPerWorker: 1,
  });
  session = await InferenceSession.create(MODEL, { executionProviders: ["cpu"], intraOpNumThreads: 1 });
  const { data, info } = await sharp(IMAGE)
    .extract({ left: 300, top: 200, width: 400, height: 304 })
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  raster = {
    width: info.width,
    height: info.height,
    rgb: new Uint8Array(data.buffer, data.byteOffset, data.length),
  };
}, 60_000);

afterAll(async () => {
  await pool?.close();
  await session?.release();
});

/** The model's own logits for one window of the raster, run directly (no pool, no stitching). */
async function directLogits(x: number, y: number, w: number, h: number): Promise<Float32Array> {
  const input = new Float32Array(3 * w * h);
  rgbWindowToCHW(raster.rgb, raster.width, raster.height, x, y, w, h, model.normalisation, input, 0);
  const out = await session.run({ [session.inputNames[0]!]: new Tensor("float32", input, [1, 3, h, w]) });
  return out[session.outputNames[0]!]!.data as Float32Array;
}

describe("segmentation through the worker pool", () => {
  it("hands back the model's raw logits, untouched", async () => {
    const input = new Float32Array(3 * 256 * 256);
    rgbWindowToCHW(raster.rgb, raster.width, raster.height, 0, 0, 256, 256, model.normalisation, input, 0);
    const result = await pool.run(input.slice(), [1, 3, 256, 256]);
    const direct = await directLogits(0, 0, 256, 256);
    expect(result.classes).toBe(C);
    expect(result.logits.length).toBe(direct.length);
    let maxDiff = 0;
    for (let i = 0; i < direct.length; i++)
      maxDiff = Math.max(maxDiff, Math.abs(result.logits[i]! - direct[i]!));
    expect(maxDiff).toBeLessThan(1e-4);
    // Logits, not probabilities: some are negative, and a pixel's seven do not sum to 1.
    const plane = 256 * 256;
    let sum = 0;
    for (let k = 0; k < C; k++) sum += result.logits[k * plane]!;
    expect(Math.abs(sum - 1)).toBeGreaterThan(1e-3);
    expect(result.logits.some((v) => v < 0)).toBe(true);
  });

  it("stitches every tile's interior exactly, and labels are the argmax of the stitched logits", async () => {
    const opts = {
      normalisation: model.normalisation,
      sizeMultiple: 16,
      maxTile: 256,
      overlap: 64,
      batch: 2,
    };
    const tiles = planTiles(raster.width, raster.height, opts.maxTile, opts.overlap, opts.sizeMultiple);
    expect(tiles.length).toBeGreaterThan(2);
    const seg = await segmentRaster(pool, raster, opts);
    const plane = raster.width * raster.height;
    expect(seg.logits.length).toBe(C * plane);
    for (const t of tiles) {
      const own = await directLogits(t.x, t.y, t.width, t.height);
      let maxDiff = 0;
      for (let k = 0; k < C; k++) {
        for (let y = t.keepY0; y < Math.min(t.keepY1, raster.height); y++) {
          for (let x = t.keepX0; x < Math.min(t.keepX1, raster.width); x++) {
            const a = seg.logits[k * plane + y * raster.width + x]!;
            const b = own[k * t.width * t.height + (y - t.y) * t.width + (x - t.x)]!;
            maxDiff = Math.max(maxDiff, Math.abs(a - b));
          }
        }
      }
      expect(maxDiff).toBeLessThan(1e-4);
    }
    const sampler = new ProbabilitySampler(
      { data: seg.logits, channels: C, kind: "logits" },
      raster.width,
      raster.height,
    );
    for (let p = 0; p < plane; p += 97) {
      let best = 0;
      for (let k = 1; k < C; k++) if (seg.logits[k * plane + p]! > seg.logits[best * plane + p]!) best = k;
      expect(seg.labels[p]).toBe(best);
      // The vectoriser's per-sample softmax: a proper distribution whose winner is the label.
      let total = 0;
      for (let k = 0; k < C; k++) total += sampler.prob(k, p);
      expect(total).toBeCloseTo(1, 5);
      expect(sampler.prob(best, p)).toBeGreaterThanOrEqual(1 / C);
    }
  });

  it("a caller that hung up mid-way stops the tiles that have not reached a worker", async () => {
    const opts = {
      normalisation: model.normalisation,
      sizeMultiple: 16,
      maxTile: 128,
      overlap: 32,
      batch: 1,
    };
    const tiles = planTiles(
      raster.width,
      raster.height,
      opts.maxTile,
      opts.overlap,
      opts.sizeMultiple,
    ).length;
    expect(tiles).toBeGreaterThan(4);
    const before = pool.completed;
    const hangUp = new AbortController();
    const seg = segmentRaster(pool, raster, { ...opts, signal: hangUp.signal });
    // One tile is on the (only) worker now and one waits in the pool's queue: an analysis keeps a
    // worker's worth more than the pool runs on it, not all its tiles, so their inputs are made
    // as they go.
    expect(pool.queued).toBe(1);
    hangUp.abort(new Error("client closed"));
    await expect(seg).rejects.toThrow("client closed");
    expect(pool.queued).toBe(0);
    while (pool.busy > 0) await new Promise((r) => setTimeout(r, 5));
    expect(pool.completed - before).toBe(1);
    await expect(segmentRaster(pool, raster, { ...opts, signal: hangUp.signal })).rejects.toThrow(
      "client closed",
    );
    expect(pool.completed - before).toBe(1);
  });

  it("a failed batch cancels the analysis's other batches: none starts after it, none is stitched", async () => {
    // A pool whose first inference fails (a worker died); the thing under test is segmentRaster.
    const seen: AbortSignal[] = [];
    let failed = false;
    let startedAfterFailure = 0;
    const failing = {
      size: 2,
      run(_input: Float32Array, dims: readonly number[], signal?: AbortSignal) {
        if (failed) startedAfterFailure++;
        if (signal) seen.push(signal);
        const first = seen.length === 1;
        return new Promise<{ logits: Float32Array; classes: number; ms: number }>((resolve, reject) =>
          setTimeout(() => {
            if (first) {
              failed = true;
              reject(new Error("inference worker stopped"));
            } else
              resolve({ logits: new Float32Array(C * dims[0]! * dims[2]! * dims[3]!), classes: C, ms: 1 });
          }, 20),
        );
      },
    };
    const opts = { normalisation: model.normalisation, sizeMultiple: 16, maxTile: 64, overlap: 16, batch: 1 };
    expect(
      planTiles(raster.width, raster.height, opts.maxTile, opts.overlap, opts.sizeMultiple).length,
    ).toBeGreaterThan(20);
    await expect(segmentRaster(failing, raster, opts)).rejects.toThrow("inference worker stopped");
    await new Promise((r) => setTimeout(r, 100));
    // Before, every other tile still ran (and was stitched) after the analysis had been answered.
    expect(seen.length).toBe(3);
    expect(startedAfterFailure).toBe(0);
    expect(seen.every((signal) => signal.aborted)).toBe(true);
  });
});
