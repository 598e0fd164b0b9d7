import { describe, expect, it } from "vitest";
import {
  buildMarkingRaster,
  dropWideRegions,
  fillPinholes,
  type MarkingRaster,
  paddedIndex,
} from "./mask.js";

/** Class ids of the raster, unpadded, row-major. */
function idsOf(r: MarkingRaster): number[] {
  const out: number[] = [];
  for (let y = 0; y < r.height; y++)
    for (let x = 0; x < r.width; x++) out.push(r.labels[paddedIndex(r, x, y)]!);
  return out;
}

function block(W: number, H: number, x0: number, y0: number, x1: number, y1: number, cls = 1): Uint8Array {
  const ids = new Uint8Array(W * H);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) ids[y * W + x] = cls;
  return ids;
}

describe("the marking mask", () => {
  it("counts ids at or above the model's number of classes as background, like the ignore label", () => {
    const r = buildMarkingRaster(new Uint8Array([0, 1, 6, 7, 255, 3]), 6, 1, 7);
    expect(idsOf(r)).toEqual([0, 1, 6, 0, 0, 3]);
    expect(r.fgCount).toBe(3);
  });

  it("fills a hole of 2 x 3 pixels (the second pass closes what the first leaves)", () => {
    const W = 20;
    const H = 20;
    const ids = block(W, H, 4, 4, 16, 16, 2);
    for (let y = 9; y < 11; y++) for (let x = 8; x < 11; x++) ids[y * W + x] = 0;
    const r = buildMarkingRaster(ids, W, H, 7);
    fillPinholes(r);
    expect(idsOf(r)).toEqual(Array.from(block(W, H, 4, 4, 16, 16, 2)));
    expect(r.fgCount).toBe(144);
  });

  it("drops the whole of a region far too wide for a marking, and nothing of a line beside it", () => {
    // A 20 x 20 px block with a 3-px line running into it from the left; squares of 7 px (h = 3).
    const W = 40;
    const H = 40;
    const ids = block(W, H, 10, 10, 30, 30);
    for (let y = 19; y < 22; y++) for (let x = 0; x < 10; x++) ids[y * W + x] = 1;
    const r = buildMarkingRaster(ids, W, H, 7);
    expect(dropWideRegions(r, 3)).toBe(400);
    const expected = new Uint8Array(W * H);
    for (let y = 19; y < 22; y++) for (let x = 0; x < 10; x++) expected[y * W + x] = 1;
    expect(idsOf(r)).toEqual(Array.from(expected));
    expect(r.fgCount).toBe(30);
  });
});
