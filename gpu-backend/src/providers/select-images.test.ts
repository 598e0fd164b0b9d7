import type { MercatorBbox, MercatorGrid } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { selectCoveringImages } from "./select-images.js";

// 100 x 100 pixels of 1 m.
const OX = -41_900;
const OY = 4_790_000;
const GRID: MercatorGrid = { originX: OX, originY: OY, resolution: 1, width: 100, height: 100 };

/** An image over target pixels [i0, i1) x [j0, j1). */
function img(
  id: string,
  i0: number,
  j0: number,
  i1: number,
  j1: number,
): { id: string; footprint: MercatorBbox } {
  return { id, footprint: [OX + i0, OY - j1, OX + i1, OY - j0] };
}

const ids = (xs: readonly { id: string }[]) => xs.map((x) => x.id);

describe("selectCoveringImages", () => {
  it("walks best first and skips images that add no pixel", () => {
    const refs = [
      img("west", 0, 0, 50, 100),
      img("west-again", 0, 0, 50, 100),
      img("inside-west", 10, 10, 40, 90),
      img("east", 50, 0, 100, 100),
      img("all", 0, 0, 100, 100),
    ];
    expect(ids(selectCoveringImages(refs, GRID, 64))).toEqual(["west", "east"]);
  });

  it("keeps coarser images for the holes when the finest ones pile up past the budget", () => {
    const refs = [
      img("a", 0, 0, 60, 100),
      img("b", 0, 0, 60, 100),
      img("c", 10, 0, 60, 100),
      img("coarse", 0, 0, 100, 100),
    ];
    // The first two alone would leave x >= 60 empty.
    expect(ids(selectCoveringImages(refs, GRID, 2))).toEqual(["a", "coarse"]);
  });

  it("passes over slivers when taking every image that adds a pixel would spend the budget", () => {
    // Fine west half, then fine strips of 2 % of the grid each in the east, then a coarse image.
    const refs = [
      img("west", 0, 0, 50, 100),
      ...[0, 10, 20, 30].map((j) => img(`strip${j}`, 50, j, 100, j + 4)),
      img("coarse", 0, 0, 100, 100),
    ];
    // Budget enough: every image that adds a pixel, finest first.
    expect(ids(selectCoveringImages(refs, GRID, 6))).toEqual([
      "west",
      "strip0",
      "strip10",
      "strip20",
      "strip30",
      "coarse",
    ]);
    // Budget 3: west + two strips would leave holes; west + coarse covers.
    expect(ids(selectCoveringImages(refs, GRID, 3))).toEqual(["west", "coarse"]);
  });

  it("takes every image that adds a pixel when the images cannot cover the grid anyway", () => {
    const refs = [img("a", 0, 0, 30, 100), img("a2", 0, 0, 30, 100), img("b", 30, 0, 60, 50)];
    expect(ids(selectCoveringImages(refs, GRID, 64))).toEqual(["a", "b"]);
    expect(ids(selectCoveringImages(refs, GRID, 1))).toEqual(["a"]);
  });

  it("counts a pixel as covered only when its centre lies inside the footprint", () => {
    // Ends 0.4 px into column 50: that column's centre (50.5) is outside, so "east" must stay.
    const refs = [
      { id: "west", footprint: [OX, OY - 100, OX + 50.4, OY] as MercatorBbox },
      img("east", 50, 0, 100, 100),
    ];
    expect(ids(selectCoveringImages(refs, GRID, 64))).toEqual(["west", "east"]);
    const wide = { id: "wide", footprint: [OX, OY - 100, OX + 100.6, OY] as MercatorBbox };
    expect(ids(selectCoveringImages([wide, img("east", 50, 0, 100, 100)], GRID, 64))).toEqual(["wide"]);
  });
});
