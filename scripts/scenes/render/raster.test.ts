import { describe, expect, it } from "vitest";
import { CoverageRaster } from "./raster.js";
import { bandRing, discRing } from "./stroke.js";

function totalCoverage(r: CoverageRaster): number {
  let sum = 0;
  for (let y = r.yMin; y <= r.yMax; y++) {
    for (let x = r.spanStart[y]!; x < r.spanEnd[y]!; x++) sum += r.cov[y * r.width + x]!;
  }
  return sum;
}

describe("CoverageRaster", () => {
  it("covers exactly the area of a rotated rectangle", () => {
    const r = new CoverageRaster(64, 64);
    const c = Math.cos(0.4);
    const s = Math.sin(0.4);
    const pts: [number, number][] = [
      [-10, -3],
      [10, -3],
      [10, 3],
      [-10, 3],
    ].map(([x, y]) => [32 + x! * c - y! * s, 30 + x! * s + y! * c]);
    r.addPoints(pts);
    r.resolve();
    expect(totalCoverage(r)).toBeCloseTo(120, 3);
    // An interior pixel is fully covered, a far one is empty.
    expect(r.cov[30 * 64 + 32]).toBeCloseTo(1, 5);
    expect(r.cov[5 * 64 + 5]).toBe(0);
  });

  it("renders a sub-pixel line as faint partial coverage with the right total", () => {
    const r = new CoverageRaster(50, 20);
    // 0.3 px wide horizontal band from x=5 to x=45 at y=10.2
    r.addRing(
      bandRing(
        [
          [5, 10.2],
          [45, 10.2],
        ],
        -0.15,
        0.15,
      ),
    );
    r.resolve();
    expect(totalCoverage(r)).toBeCloseTo(40 * 0.3, 3);
    let max = 0;
    for (let i = 0; i < r.cov.length; i++) max = Math.max(max, r.cov[i]!);
    expect(max).toBeCloseTo(0.3, 3);
  });

  it("clips at the raster borders and clears only what it touched", () => {
    const r = new CoverageRaster(32, 32);
    r.addRing(discRing(0, 0, 10, 1, 256));
    r.resolve();
    // A quarter disc of radius 10 remains.
    expect(totalCoverage(r)).toBeCloseTo((Math.PI * 100) / 4, 0);
    r.clear();
    expect(r.cov.every((v) => v === 0)).toBe(true);
    r.addRing(discRing(16, 16, 4, 1, 256));
    r.resolve();
    expect(totalCoverage(r)).toBeCloseTo(Math.PI * 16, 0);
  });

  it("fills a ring with a hole when the inner ring runs the other way", () => {
    const r = new CoverageRaster(40, 40);
    r.addRing([5, 5, 35, 5, 35, 35, 5, 35]);
    r.addRing([15, 15, 15, 25, 25, 25, 25, 15]);
    r.resolve();
    expect(totalCoverage(r)).toBeCloseTo(900 - 100, 3);
    expect(r.cov[20 * 40 + 20]).toBe(0);
  });
});
