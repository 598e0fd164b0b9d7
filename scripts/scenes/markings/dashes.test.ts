import { DASH_PATTERNS } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { dashIntervals, shiftIntervals } from "./dashes.js";

describe("dashIntervals", () => {
  it.each(DASH_PATTERNS)("follows the $region pattern", (p) => {
    const iv = dashIntervals(200, p, 0);
    expect(iv[0]).toEqual([0, p.dashM]);
    for (let i = 1; i < iv.length; i++) {
      expect(iv[i]![0] - iv[i - 1]![0]).toBeCloseTo(p.dashM + p.gapM, 9);
      if (iv[i]![1] < 200) expect(iv[i]![1] - iv[i]![0]).toBeCloseTo(p.dashM, 9);
    }
  });

  it("starts part-way through the period with a phase and drops slivers", () => {
    const iv = dashIntervals(30, { region: "US", dashM: 3, gapM: 9 }, 2.9, 0.3);
    expect(iv[0]![0]).toBeCloseTo(9.1, 9);
    const iv2 = dashIntervals(30, { region: "US", dashM: 3, gapM: 9 }, 2, 0.3);
    expect(iv2[0]).toEqual([0, 1]);
  });

  it("shifts and clips", () => {
    expect(
      shiftIntervals(
        [
          [0, 3],
          [12, 15],
        ],
        2,
        11,
      ),
    ).toEqual([
      [0, 1],
      [10, 11],
    ]);
  });
});
