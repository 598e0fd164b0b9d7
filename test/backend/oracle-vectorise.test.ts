/**
 * The post-processing's upper bound: the world of the end-to-end test (esri-e2e.test.ts), but the
 * "model output" is the world's true label mask on the analysis grid. Everything after inference is
 * the backend's own code (target grid, vectoriser, physics filters, clipping, GeoJSON), and the
 * lines are scored by the same matcher against the true lane lines.
 *
 * It separates the two halves of issue 5's vector targets: what this test reaches is what the
 * vectoriser and the geo code can deliver with a perfect model; the gap between it and the e2e
 * figures is the model's.
 */
import { resolveAnalysisRequest, validateArea } from "@lanesegnet/shared";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MIN_CONFIDENCE } from "../../gpu-backend/src/analysis/internal-request.js";
import { clipRegionFromBbox, vectoriseToFeatures } from "../../gpu-backend/src/postprocess/index.js";
import { targetGrid } from "../../gpu-backend/src/raster/target-grid.js";
import { e2eArea, e2eWorld, scoreAgainstWorld } from "../../scripts/eval/e2e-world.js";
import type { VectorMatch } from "../../scripts/eval/vector-match.js";
import { sampleWorld } from "../../scripts/scenes/world.js";

const NUM_CLASSES = 7;
const IGNORE = 255;

describe("post-processing with a perfect model (true label mask as the model output)", () => {
  let score: VectorMatch;
  let features = 0;

  beforeAll(() => {
    // The same world and area as esri-e2e.test.ts.
    const world = e2eWorld(31);
    const bbox = e2eArea(world);
    const req = resolveAnalysisRequest(
      { area: { type: "bbox", bbox: [...bbox] }, resolution_m: 0.25 },
      { providers: ["esri"], minConfidence: DEFAULT_MIN_CONFIDENCE },
    );
    const area = validateArea(req.area, { resolutionM: 0.25 });
    if (!area.ok) throw new Error("the test area must be valid");
    const grid = targetGrid(area.value.bbox, 0.25);
    const view = sampleWorld(world, grid);
    const plane = grid.width * grid.height;
    const labels = new Uint8Array(plane);
    const probs = new Float32Array(NUM_CLASSES * plane);
    for (let p = 0; p < plane; p++) {
      const c = view.mask[p] === IGNORE ? 0 : (view.mask[p] as number);
      labels[p] = c;
      probs[c * plane + p] = 1;
    }
    const { collection } = vectoriseToFeatures(
      {
        width: grid.width,
        height: grid.height,
        classIds: labels,
        scores: { data: probs, channels: NUM_CLASSES, kind: "probabilities" },
      },
      grid,
      { clip: clipRegionFromBbox(grid, area.value.bbox), minConfidence: req.min_confidence },
    );
    features = collection.features.length;
    score = scoreAgainstWorld(world, collection.features, bbox);
  }, 120_000);

  it("finds the true lines", () => {
    expect(features).toBeGreaterThan(0);
    expect(score.truthLengthM).toBeGreaterThan(200);
    expect(score.recall).toBeGreaterThanOrEqual(0.9);
    expect(score.meanOffsetM).toBeLessThanOrEqual(0.15);
    expect(score.classAgreement).toBeGreaterThanOrEqual(0.95);
  });

  it("meets issue 5's vector targets: at most 10 % false length, lengths within 2 %, dashes", () => {
    expect(score.falseShare).toBeLessThanOrEqual(0.1);
    expect(Math.abs(score.lengthRatio - 1)).toBeLessThanOrEqual(0.02);
    expect(score.dashedAgreement ?? 1).toBeGreaterThanOrEqual(0.9);
  });
});
