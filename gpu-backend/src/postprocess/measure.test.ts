/** Width measurement on a marking raster (most of measure.ts is tested through vectorise.test.ts). */
import { describe, expect, it } from "vitest";
import { buildMarkingRaster } from "./mask.js";
import { type MeasureContext, measureWidthPx } from "./measure.js";

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
});
