import { describe, expect, it } from "vitest";
import { cumulativeLengths, planarLength } from "./planar.js";

describe("planar lengths", () => {
  it("adds the straight segments, 3-4-5 triangles included", () => {
    expect(
      planarLength([
        [0, 0],
        [3, 4],
        [3, 10],
      ]),
    ).toBe(11);
    expect(
      Array.from(
        cumulativeLengths([
          [0, 0],
          [3, 4],
          [3, 10],
        ]),
      ),
    ).toEqual([0, 5, 11]);
  });

  it("is 0 for a point or nothing, and counts a repeated vertex as no length", () => {
    expect(planarLength([])).toBe(0);
    expect(planarLength([[2, 2]])).toBe(0);
    expect(
      Array.from(
        cumulativeLengths([
          [1, 1],
          [1, 1],
          [4, 5],
        ]),
      ),
    ).toEqual([0, 0, 5]);
  });
});
