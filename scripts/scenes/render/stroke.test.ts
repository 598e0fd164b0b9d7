import { describe, expect, it } from "vitest";
import type { Pt } from "../geometry/polyline.js";
import { miterNormals } from "./stroke.js";

describe("miterNormals", () => {
  it("gives unit normals along a straight line even beside a repeated vertex", () => {
    const pts: Pt[] = [
      [0, 0],
      [5, 0],
      [10, 0],
      [10, 0],
    ];
    const n = miterNormals(pts);
    for (let i = 0; i < pts.length; i++) {
      // Right-hand normal of +x in a y-down frame is +y; a doubled miter would read 2.
      expect(n[2 * i]).toBeCloseTo(0, 12);
      expect(n[2 * i + 1]).toBeCloseTo(1, 12);
    }
  });

  it("lengthens the normal by 1 / cos(half turn) at a corner", () => {
    const n = miterNormals([
      [0, 0],
      [10, 0],
      [10, 10],
    ]);
    expect(Math.hypot(n[2]!, n[3]!)).toBeCloseTo(Math.SQRT2, 12);
  });
});
