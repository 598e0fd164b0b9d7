/** Width measurement on a marking raster (most of measure.ts is tested through vectorise.test.ts). */
import { describe, expect, it } from "vitest";
import { buildMarkingRaster } from "./mask.js";
import { type MeasureContext, measureLine, measureWidthPx } from "./measure.js";
import { resolveParams } from "./params.js";
import { ProbabilitySampler } from "./scores.js";

describe("measureWidthPx: a trimmed mean", () => {
  it("a junction over a short stretch does not widen the line", () => {
    // A horizontal line 4 px thick over 100 px, crossed at x 40..50 by a 60 px tall band.
    const W = 120;
    const H = 80;
    const ids = new Uint8Array(W * H);
    for (let y = 38; y < 42; y++) for (let x = 10; x < 110; x++) ids[y * W + x] = 1;
    for (let y = 10; y < 70; y++) for (let x = 55; x < 65; x++) ids[y * W + x] = 1;
    const raster = buildMarkingRaster(ids, W, H, 7);
    const ctx = { raster, maxHalfPx: 20 } as unknown as MeasureContext;
    const width = measureWidthPx(
      {
        pts: [
          [12, 40],
          [108, 40],
        ],
        bridged: [false],
      },
      ctx,
    );
    expect(width).toBeGreaterThan(3.5);
    expect(width).toBeLessThan(4.5);
  });

  it("a narrowing over a third of the line pulls the width down as the middle 60 % says", () => {
    // 4 px wide for 70 px, then 2 px for 30 px: of 100 cross-sections the middle 60 are ten of
    // 2 px and fifty of 4 px, 3.67 px on average.
    const W = 120;
    const ids = new Uint8Array(W * 100);
    for (let x = 10; x < 80; x++) for (let y = 48; y < 52; y++) ids[y * W + x] = 1;
    for (let x = 80; x < 110; x++) for (let y = 49; y < 51; y++) ids[y * W + x] = 1;
    const raster = buildMarkingRaster(ids, W, 100, 7);
    const ctx = { raster, maxHalfPx: 20 } as unknown as MeasureContext;
    const width = measureWidthPx(
      {
        pts: [
          [10.5, 50],
          [109.5, 50],
        ],
        bridged: [false],
      },
      ctx,
    );
    expect(width).toBeCloseTo((10 * 2 + 50 * 4) / 60, 6);
  });
});

describe("width_resolved", () => {
  it("is false for a mask exactly as wide as the label floor plus the blur, in the imagery's pixels", () => {
    // 0.25 m/px resampled from 0.5 m imagery: floor + blur = 5.5 imagery px = 2.75 m = 11 grid px.
    const sampler = new ProbabilitySampler(
      { data: new Float32Array(7), channels: 7, kind: "probabilities" },
      1,
      1,
    );
    const ctx = {
      sampler,
      gsdM: 0.25,
      sourceResolutionM: 0.5,
      params: resolveParams(),
    } as unknown as MeasureContext;
    const line = {
      pts: [
        [0, 0],
        [40, 0],
      ] as [number, number][],
      bridged: [false],
    };
    const resolved = (widthPx: number) => measureLine(1, line, "free", "free", ctx, widthPx).widthResolved;
    expect(resolved(11)).toBe(false);
    expect(resolved(11.25)).toBe(true);
  });
});
