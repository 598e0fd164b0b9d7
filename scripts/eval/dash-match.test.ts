import { describe, expect, it } from "vitest";
import { matchDashes, medianAbs } from "./dash-match.js";

// Lanes along parallels 10 m apart near (0, 0): 1e-5° of latitude is about 1.1 m.
const lane = (lat: number, pattern: { dashM: number; gapM: number } | null) => ({
  classId: pattern ? 2 : 1,
  coordinates: [
    [0, lat],
    [0.001, lat],
  ] as [number, number][],
  pattern,
});
const truth = [lane(0, { dashM: 3, gapM: 9 }), lane(0.0001, null)];

describe("matchDashes", () => {
  it("compares a line's statistics with the pattern of the dashed lane it lies on", () => {
    const m = matchDashes(truth, [
      {
        dashed: true,
        coordinates: [
          [0.0001, 0],
          [0.0005, 0],
          [0.0009, 0],
        ],
        dash: { count: 5, mean_dash_m: 3.5, mean_gap_m: 8 },
      },
      {
        dashed: true,
        coordinates: [
          [0.0001, 0],
          [0.0009, 0],
        ],
      },
    ]);
    expect(m).toMatchObject({ onDashedLanes: 2, withStats: 1, within25: 1 });
    expect(m.dashErrorsM[0]).toBeCloseTo(0.5, 9);
    expect(m.gapErrorsM[0]).toBeCloseTo(-1, 9);
  });

  it("ignores lines on solid lanes and lines that only touch a dashed lane with one vertex of four", () => {
    const across = {
      dashed: true,
      coordinates: [
        [0.0002, 0],
        [0.0002, 0.00003],
        [0.0002, 0.00006],
        [0.0002, 0.0001],
      ] as [number, number][],
      dash: { count: 3, mean_dash_m: 3, mean_gap_m: 9 },
    };
    const onSolid = {
      dashed: true,
      coordinates: [
        [0.0001, 0.0001],
        [0.0009, 0.0001],
      ] as [number, number][],
    };
    expect(matchDashes(truth, [across, onSolid])).toMatchObject({ onDashedLanes: 0, withStats: 0 });
  });

  it("within 25 % needs the mean dash within 25 % of the dash and the mean gap within 25 % of the gap", () => {
    const on = [
      [0.0001, 0],
      [0.0005, 0],
      [0.0009, 0],
    ] as [number, number][];
    const stats = (mean_dash_m: number, mean_gap_m: number) => ({
      dashed: true,
      coordinates: on,
      dash: { count: 5, mean_dash_m, mean_gap_m },
    });
    // Pattern 3 m / 9 m: dash 30 % long; gap 28 % long; both 23 % and 22 % long.
    const m = matchDashes(truth, [stats(3.9, 9), stats(3, 11.5), stats(3.7, 11)]);
    expect(m).toMatchObject({ onDashedLanes: 3, withStats: 3, within25: 1 });
  });

  it("attributes a line to the lane most of its vertices lie on, within 0.5 m, and only dashed lines", () => {
    const dash = { count: 5, mean_dash_m: 3, mean_gap_m: 9 };
    // Three vertices on the dashed lane, the last on the solid lane 11 m away: the dashed lane's.
    const mostlyDashed = {
      dashed: true,
      coordinates: [
        [0.0001, 0],
        [0.0003, 0],
        [0.0005, 0],
        [0.0005, 0.0001],
      ] as [number, number][],
      dash,
    };
    expect(matchDashes(truth, [mostlyDashed])).toMatchObject({ onDashedLanes: 1, withStats: 1 });
    // 0.3 m beside the dashed lane is on it; 0.8 m beside it is not (1e-5° of latitude is 1.1 m).
    const beside = (m: number) => ({
      dashed: true,
      coordinates: [
        [0.0001, m / 111_320],
        [0.0009, m / 111_320],
      ] as [number, number][],
      dash,
    });
    expect(matchDashes(truth, [beside(0.3)]).onDashedLanes).toBe(1);
    expect(matchDashes(truth, [beside(0.8)]).onDashedLanes).toBe(0);
    // A line reported solid is left out even on a dashed lane.
    expect(matchDashes(truth, [{ ...beside(0), dashed: false }]).onDashedLanes).toBe(0);
  });

  it("medianAbs is the median of absolute values", () => {
    expect(medianAbs([])).toBeNull();
    expect(medianAbs([-3, 1, 2])).toBe(2);
    expect(medianAbs([-1, 4])).toBe(2.5);
  });
});
