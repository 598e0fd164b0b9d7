import { describe, expect, it } from "vitest";
import type { SceneLane } from "../scenes/scene.js";
import { paintCoverage, rasteriseLines } from "./mask-coverage.js";

const W = 100;
const H = 20;
const GSD = 0.25;

/** A horizontal line along row 10 (centre y = 10.5) from x = 0 to 100, painted where told (metres). */
function lane(painted: [number, number][]): SceneLane {
  return {
    classId: 1,
    className: "single_white_solid",
    points: [
      [0, 10.5],
      [100, 10.5],
    ],
    paintWidthM: 0.15,
    strokeWidthM: 0.15,
    doubleGapM: null,
    pattern: null,
    painted,
    role: "lane",
    elevated: false,
  };
}

function labelsWhere(pred: (x: number, y: number) => boolean, classId = 1): Uint8Array {
  const out = new Uint8Array(W * H);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (pred(x, y)) out[y * W + x] = classId;
  return out;
}

describe("paintCoverage", () => {
  it("counts the painted length with a labelled pixel within the tolerance", () => {
    const labels = labelsWhere((x, y) => y === 10 && x < 50);
    const c = paintCoverage([lane([[0, 25]])], labels, W, H, GSD);
    expect(c.paintedM).toBeCloseTo(25, 5);
    // Labelled up to x = 50, plus the tolerance (2 px at 0.25 m/px) past its end.
    expect(c.coveredM / c.paintedM).toBeGreaterThan(0.5);
    expect(c.coveredM / c.paintedM).toBeLessThan(0.55);
  });

  it("does not count labels farther to the side than the tolerance", () => {
    const beside = labelsWhere((_x, y) => y === 13); // 0.75 m off the line
    expect(paintCoverage([lane([[0, 25]])], beside, W, H, GSD).coveredM).toBe(0);
    const close = labelsWhere((_x, y) => y === 12); // 0.5 m off: within
    const c = paintCoverage([lane([[0, 25]])], close, W, H, GSD);
    expect(c.coveredM).toBeCloseTo(c.paintedM, 5);
  });

  it("leaves the gaps between dashes out of the painted length", () => {
    const labels = labelsWhere((x, y) => y === 10 && x < 12);
    const c = paintCoverage(
      [
        lane([
          [0, 3],
          [12, 15],
        ]),
      ],
      labels,
      W,
      H,
      GSD,
    );
    expect(c.paintedM).toBeCloseTo(6, 5);
    expect(c.coveredM).toBeCloseTo(3, 1);
  });

  it("counts a pixel of any marking class, not only class 1", () => {
    for (const classId of [2, 3, 4, 5, 6]) {
      const labels = labelsWhere((x, y) => y === 10 && x < 50, classId);
      const c = paintCoverage([lane([[0, 25]])], labels, W, H, GSD);
      expect(c.coveredM / c.paintedM).toBeGreaterThan(0.5);
    }
  });

  it("places painted intervals by the distance along the whole polyline, not along each segment", () => {
    // Two segments of 12.5 m; paint from 15 m to 20 m lies on the second, at x = 60-80 px.
    const bent: SceneLane = {
      ...lane([[15, 20]]),
      points: [
        [0, 10.5],
        [50, 10.5],
        [100, 10.5],
      ],
    };
    const labels = labelsWhere((x, y) => y === 10 && x >= 60 && x < 80);
    const c = paintCoverage([bent], labels, W, H, GSD);
    expect(c.paintedM).toBeCloseTo(5, 5);
    expect(c.coveredM).toBeCloseTo(5, 5);
  });
});

describe("rasteriseLines", () => {
  it("draws every segment of every line into the pixels it passes through", () => {
    const out = rasteriseLines(
      [
        [
          [0, 10.5],
          [50, 10.5],
          [50, 15.5],
        ],
      ],
      W,
      H,
    );
    const set: string[] = [];
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (out[y * W + x]) set.push(`${x},${y}`);
    const expected = [
      ...Array.from({ length: 51 }, (_, x) => `${x},10`),
      ...[11, 12, 13, 14, 15].map((y) => `50,${y}`),
    ];
    expect(set.sort()).toEqual(expected.sort());
  });
});
