import { describe, expect, it } from "vitest";
import { cumulativeLength, type Pt, slicePolyline } from "./polyline.js";

describe("slicePolyline", () => {
  const pts: Pt[] = [
    [0, 0],
    [0.1, 0],
    [0.3, 0],
    [10, 0],
  ];
  const cum = cumulativeLength(pts);

  it("keeps interior vertices and interpolates both ends", () => {
    expect(slicePolyline(pts, cum, 0.05, 5)).toEqual([
      [0.05, 0],
      [0.1, 0],
      [0.3, 0],
      [5, 0],
    ]);
  });

  it("never repeats a vertex when an end falls on it up to rounding", () => {
    // 0.1 + 0.2 is 0.30000000000000004: the slice ends a rounding error past the vertex at 0.3.
    const sliced = slicePolyline(pts, cum, 0.1 + 1e-15, 0.1 + 0.2);
    for (let i = 1; i < sliced.length; i++) {
      const [a, b] = [sliced[i - 1]!, sliced[i]!];
      expect(Math.hypot(b[0] - a[0], b[1] - a[1])).toBeGreaterThan(1e-9);
    }
    expect(sliced).toHaveLength(2);
  });
});
