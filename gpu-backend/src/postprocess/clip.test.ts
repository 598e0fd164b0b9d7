import { describe, expect, it } from "vitest";
import { clipPolyline, pointInRegion } from "./clip.js";
import { lengthOf } from "./polyline.js";
import type { ClipRegion, Pt } from "./types.js";

const square = (x0: number, y0: number, x1: number, y1: number): Pt[] => [
  [x0, y0],
  [x1, y0],
  [x1, y1],
  [x0, y1],
  [x0, y0],
];

describe("clipping to the requested area", () => {
  const region: ClipRegion = { rings: [square(0, 0, 100, 100), square(40, 40, 60, 60)] };

  it("treats inner rings as holes", () => {
    expect(pointInRegion(region, 10, 10)).toBe(true);
    expect(pointInRegion(region, 50, 50)).toBe(false);
    expect(pointInRegion(region, 150, 50)).toBe(false);
  });

  it("cuts a line at the outer ring and around a hole, marking the cut ends", () => {
    const pieces = clipPolyline(
      {
        pts: [
          [-20, 50],
          [50, 50],
          [130, 50],
        ],
        bridged: [false, true],
      },
      region,
    );
    expect(pieces).toHaveLength(2);
    expect(pieces.map((p) => lengthOf(p.line.pts))).toEqual([40, 40]);
    expect(pieces.every((p) => p.cutStart && p.cutEnd)).toBe(true);
    // The second piece lies on the original's second (bridged) segment.
    expect(pieces[1]!.line.bridged).toEqual([true]);
  });

  it("keeps a line wholly inside as it is", () => {
    const pts: Pt[] = [
      [10, 10],
      [30, 20],
      [20, 35],
    ];
    const [only, ...rest] = clipPolyline({ pts, bridged: [false, false] }, region);
    expect(rest).toHaveLength(0);
    expect(only!.line.pts).toEqual(pts);
    expect(only!.cutStart || only!.cutEnd).toBe(false);
  });

  it("cuts where a line crosses the boundary at a vertex (a corner, the apex of a notch)", () => {
    const box: ClipRegion = { rings: [square(0, 0, 10, 10)] };
    const diagonal = clipPolyline(
      {
        pts: [
          [-5, -5],
          [5, 5],
        ],
        bridged: [false],
      },
      box,
    );
    expect(diagonal.map((p) => [p.line.pts, p.cutStart, p.cutEnd])).toEqual([
      [
        [
          [0, 0],
          [5, 5],
        ],
        true,
        false,
      ],
    ]);
    // A square with a V cut into it from below, its apex at (5, 5): x = 5 is inside from there up.
    const notched: ClipRegion = {
      rings: [
        [
          [0, 0],
          [5, 5],
          [10, 0],
          [10, 10],
          [0, 10],
          [0, 0],
        ],
      ],
    };
    const across = clipPolyline(
      {
        pts: [
          [5, -5],
          [5, 15],
        ],
        bridged: [false],
      },
      notched,
    );
    expect(across.map((p) => [p.line.pts, p.cutStart, p.cutEnd])).toEqual([
      [
        [
          [5, 5],
          [5, 10],
        ],
        true,
        true,
      ],
    ]);
  });

  it("keeps nothing outside where a line leaves through the left edge (a point on it counts as inside)", () => {
    const box: ClipRegion = { rings: [square(0, 0, 100, 100)] };
    const out = clipPolyline(
      {
        pts: [
          [50, 50],
          [-50, 50],
        ],
        bridged: [false],
      },
      box,
    );
    expect(out.map((p) => [p.line.pts, p.cutStart, p.cutEnd])).toEqual([
      [
        [
          [50, 50],
          [0, 50],
        ],
        false,
        true,
      ],
    ]);
  });

  it("cuts at the closing edge of a ring given without its last point repeated", () => {
    const open: ClipRegion = {
      rings: [
        [
          [0, 0],
          [10, 0],
          [10, 10],
          [0, 10],
        ],
      ],
    };
    const out = clipPolyline(
      {
        pts: [
          [-5, 5],
          [5, 5],
        ],
        bridged: [false],
      },
      open,
    );
    expect(out.map((p) => [p.line.pts, p.cutStart, p.cutEnd])).toEqual([
      [
        [
          [0, 5],
          [5, 5],
        ],
        true,
        false,
      ],
    ]);
  });
});
