import { seededRandom } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { measureDashes } from "./dashes.js";
import { withPlausibleDashes } from "./filters.js";
import { resolveParams } from "./params.js";
import type { ProfileSampler } from "./profile.js";
import type { MeasuredLine, Polyline } from "./types.js";

const GSD = 0.25;
const OPTS = {
  gsdM: GSD,
  minContrast: 0.2,
  minRunPx: 2,
  minGapPx: 1.5 / GSD,
  truncatedStart: false,
  truncatedEnd: false,
};

/** Paint (1) along y = 10 over the given [from, to) pixel ranges of x, nothing (0) elsewhere. */
function painted(ranges: readonly (readonly [number, number])[]): ProfileSampler {
  return { across: (_classId, x) => (ranges.some(([a, b]) => x >= a && x < b) ? 1 : 0) };
}

describe("dash measurement", () => {
  it("measures a regular pattern: count, dash and gap means in metres", () => {
    // Four 3 m dashes (12 px) with 9 m gaps (36 px).
    const ranges = [0, 1, 2, 3].map((k) => [k * 48, k * 48 + 12] as const);
    const line: Polyline = {
      pts: [
        [0, 10],
        [3 * 48 + 12, 10],
      ],
      bridged: [false],
    };
    const dash = measureDashes(line, 2, painted(ranges), OPTS);
    expect(dash).toMatchObject({ count: 4, gapCount: 3 });
    expect(dash?.meanDashM).toBeCloseTo(3, 0);
    expect(dash?.meanGapM).toBeCloseTo(9, 0);
  });

  it("leaves a dash the area's edge may have cut out of the mean, at either end", () => {
    // 3 m dashes (12 px) with 9 m gaps; the first (or last) is 2 m long where the line is cut.
    // Within half to one and a half times the median, it would pass the typical-mean filter.
    const line: Polyline = {
      pts: [
        [0, 10],
        [152, 10],
      ],
      bridged: [false],
    };
    const cutFirst = painted([
      [0, 8],
      [44, 56],
      [92, 104],
      [140, 152],
    ]);
    expect(measureDashes(line, 2, cutFirst, { ...OPTS, truncatedStart: true })?.meanDashM).toBeCloseTo(3, 1);
    // Not at a cut: a short first dash is a short dash, and counts.
    expect(measureDashes(line, 2, cutFirst, OPTS)?.meanDashM).toBeCloseTo(2.75, 1);
    const cutLast = painted([
      [0, 12],
      [48, 60],
      [96, 108],
      [144, 152],
    ]);
    expect(measureDashes(line, 2, cutLast, { ...OPTS, truncatedEnd: true })?.meanDashM).toBeCloseTo(3, 1);
    // Cut where a gap lies: the first dash begins inside the area, whole, so it counts even short.
    const afterGap = painted([
      [8, 16],
      [52, 64],
      [96, 108],
      [140, 152],
    ]);
    const longer: Polyline = {
      pts: [
        [0, 10],
        [156, 10],
      ],
      bridged: [false],
    };
    expect(measureDashes(longer, 2, afterGap, { ...OPTS, truncatedStart: true })?.meanDashM).toBeCloseTo(
      2.75,
      1,
    );
  });

  it.each([0.05, 0.08, 0.1])("reads no dashes into texture along a line at a fine %s m/px", (gsd) => {
    // Per-sample texture of the paint or the road, 2.5 times the minimum contrast, over 30 m: the
    // running median spans half a metre whatever the resolution (at fine ones, many samples), so
    // no pattern survives it. A window of a fixed five samples read dashes into all 20.
    const opts = { ...OPTS, gsdM: gsd, minRunPx: 0.25 / gsd, minGapPx: 1 / gsd };
    const lengthPx = Math.round(30 / gsd);
    const line: Polyline = {
      pts: [
        [0, 10],
        [lengthPx, 10],
      ],
      bridged: [false],
    };
    for (let seed = 1; seed <= 20; seed++) {
      const rand = seededRandom(seed);
      const texture = Array.from({ length: 2 * lengthPx + 4 }, () => 0.5 * rand());
      const sampler: ProfileSampler = { across: (_classId, x) => texture[Math.floor(2 * x)] ?? 0 };
      expect(measureDashes(line, 2, sampler, opts), `seed ${seed}`).toBeNull();
    }
  });

  it("reports no gap mean when two gaps share no typical length, and the statistics are withdrawn", () => {
    // Three dashes, gaps of 2 m and 20 m: the median (11 m) has neither within half to one and a
    // half times it. The mean was NaN, which passed every plausibility check (each comparison with
    // NaN is false) and reached clients as "mean_gap_m": null.
    const ranges = [
      [0, 12],
      [20, 32],
      [112, 124],
    ] as const;
    const line: Polyline = {
      pts: [
        [0, 10],
        [124, 10],
      ],
      bridged: [false],
    };
    const dash = measureDashes(line, 2, painted(ranges), OPTS);
    expect(dash).toMatchObject({ count: 3, gapCount: 2 });
    expect(dash?.meanGapM).toBeNaN();
    const measured: MeasuredLine = {
      classId: 2,
      line,
      startKind: "free",
      endKind: "free",
      lengthPx: 124,
      lengthM: 124 * GSD,
      widthPx: 0.12 / GSD,
      widthM: 0.12,
      widthResolved: false,
      confidence: 0.9,
      dashed: true,
      dash,
    };
    expect(withPlausibleDashes(measured, resolveParams()).dash).toBeNull();
  });
});
