import { describe, expect, it } from "vitest";
import { matchLines, matchPerLine } from "./vector-match.js";

// A north-south line of ~100 m at lon 10, lat 50 and copies shifted east by d metres.
const LAT = 50;
const dLon = (m: number) => m / (111_320 * Math.cos((LAT * Math.PI) / 180));
const line = (eastM: number, lat0 = LAT, lat1 = LAT + 0.0009): [number, number][] => [
  [10 + dLon(eastM), lat0],
  [10 + dLon(eastM), lat1],
];

describe("matchLines", () => {
  it("finds a detected line 0.3 m off the truth and measures the offset", () => {
    const truth = [{ classId: 1, dashed: false, coordinates: line(0) }];
    const det = [{ classId: 1, dashed: false, coordinates: line(0.3), lengthM: 100.1 }];
    const m = matchLines(truth, det);
    expect(m.recall).toBeCloseTo(1, 3);
    expect(m.precision).toBeCloseTo(1, 3);
    expect(m.meanOffsetM).toBeCloseTo(0.3, 1);
    expect(m.classAgreement).toBe(1);
  });

  it("counts a line 0.8 m away as missed and false, and a half-length detection as half recall", () => {
    const truth = [{ classId: 2, dashed: true, coordinates: line(0) }];
    const far = matchLines(truth, [{ classId: 2, dashed: true, coordinates: line(0.8), lengthM: 100 }]);
    expect(far.recall).toBe(0);
    expect(far.falseShare).toBe(1);
    const half = matchLines(truth, [
      { classId: 1, dashed: false, coordinates: line(0, LAT, LAT + 0.00045), lengthM: 50 },
    ]);
    expect(half.recall).toBeCloseTo(0.5, 2);
    expect(half.classAgreement).toBe(0);
    expect(half.dashedAgreement).toBe(0);
    expect(half.lengthRatio).toBeCloseTo(0.5, 2);
    // What it found it measured right: 50 m reported on 50 m found (+ the 0.5 m of truth past the
    // detection's end that the tolerance counts as found).
    expect(half.foundLengthRatio).toBeCloseTo(50 / 50.5, 2);
  });

  it("measures the reported length of what was found, apart from recall and false lines", () => {
    const truth = [{ classId: 1, dashed: false, coordinates: line(0) }];
    const trueHalf = { classId: 1, dashed: false, coordinates: line(0, LAT, LAT + 0.00045) };
    const falseLine = { classId: 1, dashed: false, coordinates: line(20), lengthM: 100 };
    // The found half reported 10 % too long; a false line does not count.
    const overlong = matchLines(truth, [{ ...trueHalf, lengthM: 55 }, falseLine]);
    expect(overlong.recall).toBeCloseTo(0.5, 2);
    expect(overlong.foundLengthRatio).toBeCloseTo(55 / 50.5, 2);
    // Two reported lines on the same stretch count twice.
    const doubled = matchLines(truth, [
      { ...trueHalf, lengthM: 50 },
      { ...trueHalf, coordinates: line(0.2, LAT, LAT + 0.00045), lengthM: 50 },
    ]);
    expect(doubled.foundLengthRatio).toBeCloseTo(100 / 50.5, 1);
  });
});

describe("matchLines on a partial detection", () => {
  it("takes precision over the detected length, and offset, class and dashes over the found length", () => {
    // The first 50 m of a 100 m dashed line, found 0.3 m off with the right class and dashes.
    const truth = [{ classId: 2, dashed: true, coordinates: line(0) }];
    const det = [{ classId: 2, dashed: true, coordinates: line(0.3, LAT, LAT + 0.00045), lengthM: 50 }];
    const m = matchLines(truth, det);
    expect(m.recall).toBeCloseTo(0.5, 2);
    expect(m.precision).toBeCloseTo(1, 3);
    expect(m.falseShare).toBeCloseTo(0, 3);
    expect(m.meanOffsetM).toBeCloseTo(0.3, 2);
    expect(m.classAgreement).toBe(1);
    expect(m.dashedAgreement).toBe(1);
  });

  it("agrees on the class only where the class ids agree, whatever the dashed flags", () => {
    // Both solid, but white (1) found as yellow (3): a class error.
    const truth = [{ classId: 1, dashed: false, coordinates: line(0) }];
    const det = [{ classId: 3, dashed: false, coordinates: line(0.1), lengthM: 100 }];
    const m = matchLines(truth, det);
    expect(m.recall).toBeCloseTo(1, 3);
    expect(m.classAgreement).toBe(0);
  });

  it("compares the reported length_m, not the drawn length, with the truth", () => {
    const truth = [{ classId: 1, dashed: false, coordinates: line(0, LAT, LAT + 0.00045) }];
    const det = [{ classId: 1, dashed: false, coordinates: line(0, LAT, LAT + 0.00045), lengthM: 55 }];
    expect(matchLines(truth, det).lengthRatio).toBeCloseTo(55 / 50, 2);
  });

  it("counts only the share of a reported line near the truth in the found length ratio", () => {
    // 100 m reported over a 50 m true line: only its first half (+ the tolerance) is near the truth.
    const truth = [{ classId: 1, dashed: false, coordinates: line(0, LAT, LAT + 0.00045) }];
    const det = [{ classId: 1, dashed: false, coordinates: line(0), lengthM: 100 }];
    const m = matchLines(truth, det);
    expect(m.recall).toBeCloseTo(1, 3);
    expect(m.falseShare).toBeCloseTo(0.495, 2);
    expect(m.foundLengthRatio).toBeCloseTo(1.01, 2);
  });

  it("with a box, takes the true length inside it from the samples, whatever the vertex spacing", () => {
    // A 100 m true line with a vertex every 0.25 m; the box holds its southern half.
    const dLat = 0.0009 / 400;
    const coordinates = Array.from({ length: 401 }, (_, i) => [10, LAT + i * dLat] as [number, number]);
    const truth = [{ classId: 1, dashed: false, coordinates }];
    const det = [{ classId: 1, dashed: false, coordinates: line(0), lengthM: 100 }];
    const bbox = [10 - 0.0001, LAT - 0.0001, 10 + 0.0001, LAT + 0.00045] as const;
    const m = matchLines(truth, det, { bbox });
    expect(m.truthLengthM).toBeCloseTo(50, 0);
    expect(m.recall).toBeCloseTo(1, 3);
    expect(m.precision).toBeCloseTo(1, 3);
  });
});

describe("matchPerLine", () => {
  it("gives each reported line its false share and each true line its found share", () => {
    const truth = [
      { classId: 1, dashed: false, coordinates: line(0) },
      { classId: 1, dashed: false, coordinates: line(10) },
    ];
    const det = [
      { classId: 1, dashed: false, coordinates: line(0.2), lengthM: 100 },
      { classId: 1, dashed: false, coordinates: line(5), lengthM: 100 },
    ];
    const m = matchPerLine(truth, det);
    expect(m.reported.map((r) => r.share)).toEqual([0, 1]);
    expect(m.truth[0]!.share).toBeCloseTo(1, 2);
    expect(m.truth[1]!.share).toBe(0);
    expect(m.truth[0]!.lengthM).toBeCloseTo(100, -1);
  });
});
