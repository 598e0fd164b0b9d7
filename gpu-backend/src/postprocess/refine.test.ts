import { createMask, drawPolyline } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { buildMarkingRaster } from "./mask.js";
import { centreOnMask, chordAt, extendFreeEnds, trimEndHooks } from "./refine.js";
import type { Pt } from "./types.js";

function rasterWith(line: Pt[], widthPx: number, size = 100) {
  const mask = createMask(size, size);
  drawPolyline(mask, line, widthPx, 1);
  return buildMarkingRaster(mask.data, size, size, 7);
}

describe("refinement against the mask", () => {
  it("measures an even-width mark at its full width, centred between pixel rows", () => {
    // 4 px wide, centre at y = 50: rows 48..51 are in; no pixel centre lies on the centreline.
    const r = rasterWith(
      [
        [10, 50],
        [90, 50],
      ],
      4,
    );
    const c = chordAt(r, [40.5, 49.5], [0, 1], 10)!;
    expect(c[0] + c[1]).toBeCloseTo(4, 6);
    const centred = centreOnMask(
      Array.from({ length: 30 }, (_, i) => [30.5 + i, 49.5] as Pt),
      r,
      10,
    );
    for (const p of centred) expect(p[1]).toBeCloseTo(50, 6);
  });

  it("extends a free end to where a sloped, staircased mask ends", () => {
    // Slope 0.05: a 3-px mask whose rows step every 20 px; the mask reaches r = 1.5 px past the end.
    const end: Pt = [80.3, 52.1];
    const r = rasterWith([[10.3, 48.6], end], 3);
    const skeleton: Pt[] = [];
    for (let x = 12.5; x <= 76.5; x += 1) skeleton.push([x, Math.floor(48.6 + (x - 10.3) * 0.05) + 0.5]);
    const { pts, kinds } = extendFreeEnds(skeleton, ["junction", "free"], r, 20, 10);
    expect(kinds).toEqual(["junction", "free"]);
    const last = pts[pts.length - 1]!;
    const dir = [70 / Math.hypot(70, 3.5), 3.5 / Math.hypot(70, 3.5)];
    const reach = (last[0] - end[0]) * dir[0]! + (last[1] - end[1]) * dir[1]!;
    expect(Math.abs(reach - 1.5)).toBeLessThan(0.5);
    // The start was a junction end: untouched.
    expect(pts[0]).toEqual(skeleton[0]);
  });

  it("cuts a hook off a free end but leaves a straight end alone", () => {
    const straight: Pt[] = Array.from({ length: 40 }, (_, i) => [i, 0] as Pt);
    const hooked: Pt[] = [...straight, [40, 1], [40.5, 2], [41, 3]];
    expect(trimEndHooks(straight, ["free", "free"], 5, 10)).toHaveLength(40);
    const cut = trimEndHooks(hooked, ["free", "free"], 5, 10);
    expect(cut[cut.length - 1]![1]).toBe(0);
    expect(trimEndHooks(hooked, ["free", "junction"], 5, 10)).toHaveLength(hooked.length);
  });

  it("leaves points where the cross-section runs into another marking (a T junction) where they are", () => {
    // A 3 px bar along y = 50.5 and a 3 px stem leaving it downwards at x = 50.5.
    const mask = createMask(100, 100);
    drawPolyline(
      mask,
      [
        [10, 50.5],
        [90, 50.5],
      ],
      3,
      1,
    );
    drawPolyline(
      mask,
      [
        [50.5, 50.5],
        [50.5, 95],
      ],
      3,
      1,
    );
    const r = buildMarkingRaster(mask.data, 100, 100, 7);
    const bar = Array.from({ length: 61 }, (_, i) => [20.5 + i, 50.5] as Pt);
    for (const p of centreOnMask(bar, r, 10)) expect(Math.abs(p[1] - 50.5)).toBeLessThan(0.01);
  });

  it("makes an end that reaches the raster's edge a border end", () => {
    // A 3 px line from beyond the left edge to x = 60: its mask starts at pixel column 0.
    const r = rasterWith(
      [
        [-5, 50.5],
        [60, 50.5],
      ],
      3,
    );
    const skeleton = Array.from({ length: 53 }, (_, i) => [3.5 + i, 50.5] as Pt);
    const { pts, kinds } = extendFreeEnds(skeleton, ["free", "free"], r, 20, 10);
    expect(kinds).toEqual(["border", "free"]);
    expect(pts[0]![0]).toBeCloseTo(0, 1);
  });

  it("does not let a speck just beyond a free end drag the end more than 1.5 px past the mask's end", () => {
    // A 3 px line ending at x = 60, and a one-pixel speck in the empty column after it, at x = 61.
    const ids = new Uint8Array(100 * 100);
    for (let y = 49; y < 52; y++) for (let x = 10; x < 60; x++) ids[y * 100 + x] = 1;
    ids[50 * 100 + 61] = 1;
    const r = buildMarkingRaster(ids, 100, 100, 7);
    const skeleton = Array.from({ length: 46 }, (_, i) => [12.5 + i, 50.5] as Pt);
    const { pts } = extendFreeEnds(skeleton, ["junction", "free"], r, 20, 10);
    const last = pts.at(-1)!;
    expect(last[1]).toBeCloseTo(50.5, 9);
    expect(last[0]).toBeGreaterThan(60);
    expect(last[0]).toBeLessThanOrEqual(61.5 + 1e-9);
  });
});
