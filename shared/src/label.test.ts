import { describe, expect, it } from "vitest";
import { laneClassById } from "./classes.js";
import { createMask, drawPolyline, labelWidthPx, type Mask, rasterizeLanes } from "./label.js";

function rowsSet(mask: Mask, value: number): number[] {
  const rows: number[] = [];
  for (let y = 0; y < mask.height; y++) {
    const row = mask.data.subarray(y * mask.width, (y + 1) * mask.width);
    if (row.some((v) => v === value)) rows.push(y);
  }
  return rows;
}

describe("label width rule: max(3 px, ceil(paint width / gsd))", () => {
  it("gives the documented widths", () => {
    expect(labelWidthPx(0.15, 0.1)).toBe(3); // ceil(1.5) = 2 -> minimum 3
    expect(labelWidthPx(0.4, 0.1)).toBe(4); // 0.4 / 0.1 is exactly 4 in floating point
    expect(labelWidthPx(0.3, 0.1)).toBe(3); // 2.9999999999999996 -> 3
    expect(labelWidthPx(0.45, 0.1)).toBe(5);
    expect(labelWidthPx(0.15, 0.03)).toBe(5);
    expect(labelWidthPx(0.15, 0.33)).toBe(3);
    expect(labelWidthPx(laneClassById(5).labelWidthM, 0.1)).toBe(4);
    expect(() => labelWidthPx(0.15, 0)).toThrow(RangeError);
  });

  it("does not round floating-point noise above a whole width up to the next pixel", () => {
    // 0.4 / 0.1 is exactly 4 in floating point; 0.28 / 0.04 is 7.000000000000001.
    expect(0.28 / 0.04).toBeGreaterThan(7);
    expect(labelWidthPx(0.28, 0.04)).toBe(7);
    expect(labelWidthPx(0.54, 0.18)).toBe(3); // 3.0000000000000004
  });
});

describe("rasterisation", () => {
  it("covers exactly the rows within half the width of a horizontal line", () => {
    // Centreline through pixel centres of row 10 (y = 10.5): width 3 covers rows 9-11.
    const m = createMask(20, 21);
    drawPolyline(
      m,
      [
        [0, 10.5],
        [20, 10.5],
      ],
      3,
      1,
    );
    expect(rowsSet(m, 1)).toEqual([9, 10, 11]);
    for (const y of [9, 10, 11])
      expect(m.data.subarray(y * 20, y * 20 + 20).every((v) => v === 1)).toBe(true);
    expect(m.data.filter((v) => v !== 0).length).toBe(60);
    // Centreline on the boundary between rows 9 and 10 (y = 10): width 4 covers rows 8-11.
    const m4 = createMask(20, 21);
    drawPolyline(
      m4,
      [
        [0, 10],
        [20, 10],
      ],
      4,
      2,
    );
    expect(rowsSet(m4, 2)).toEqual([8, 9, 10, 11]);
  });

  it("labels a pixel whose centre lies exactly half the width from the centreline", () => {
    // Width 3 on the boundary between rows 9 and 10 (y = 10): rows 8 and 11 have their centres at
    // exactly 1.5 px, "within half the line width", so they are labelled.
    const m = createMask(20, 21);
    drawPolyline(
      m,
      [
        [0, 10],
        [20, 10],
      ],
      3,
      1,
    );
    expect(rowsSet(m, 1)).toEqual([8, 9, 10, 11]);
  });

  it("applies the class width at the image's ground resolution", () => {
    const m = createMask(40, 40);
    rasterizeLanes(
      m,
      [
        {
          classId: 5,
          points: [
            [0, 20],
            [40, 20],
          ],
        },
      ],
      0.1,
    ); // 0.4 m -> 4 px
    expect(rowsSet(m, 5)).toEqual([18, 19, 20, 21]);
    const m2 = createMask(40, 40);
    rasterizeLanes(
      m2,
      [
        {
          classId: 1,
          points: [
            [0, 20.5],
            [40, 20.5],
          ],
        },
      ],
      0.1,
    ); // 0.15 m -> 3 px
    expect(rowsSet(m2, 1)).toEqual([19, 20, 21]);
  });

  it("draws later lanes over earlier ones", () => {
    const horizontal = {
      classId: 1,
      points: [
        [0, 10.5],
        [21, 10.5],
      ] as [number, number][],
    };
    const vertical = {
      classId: 6,
      points: [
        [10.5, 0],
        [10.5, 21],
      ] as [number, number][],
    };
    const a = rasterizeLanes(createMask(21, 21), [horizontal, vertical], 0.1);
    expect(a.data[10 * 21 + 10]).toBe(6);
    const b = rasterizeLanes(createMask(21, 21), [vertical, horizontal], 0.1);
    expect(b.data[10 * 21 + 10]).toBe(1);
    // Away from the crossing each lane keeps its own class.
    expect(a.data[10 * 21 + 2]).toBe(1);
    expect(b.data[2 * 21 + 10]).toBe(6);
  });

  it("clips to the mask and ignores lanes outside it", () => {
    const m = createMask(10, 10);
    drawPolyline(
      m,
      [
        [-50, -50],
        [-40, -40],
      ],
      3,
      1,
    );
    expect(m.data.every((v) => v === 0)).toBe(true);
    // A single point is a round dot: on a pixel centre it covers the 3x3 block (diagonals at
    // 1.41 px <= 1.5), on a pixel corner the 4 pixels around it (next centres at 1.58 px).
    drawPolyline(m, [[5.5, 5.5]], 3, 3);
    expect(m.data.filter((v) => v === 3).length).toBe(9);
    drawPolyline(m, [[2, 2]], 3, 4);
    expect(m.data.filter((v) => v === 4).length).toBe(4);
  });
});
