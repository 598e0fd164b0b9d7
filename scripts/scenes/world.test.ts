import { pixelToMercator } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { cutStore, renderWorld, sampleWorld, storeWorldSize } from "./world.js";

describe("world", () => {
  const layout = { cols: 2, rows: 2, tile: 160, overlap: 0.25 };
  const size = storeWorldSize(layout);
  const world = renderWorld({
    seed: 5,
    width: size.width,
    height: size.height,
    gsdM: 0.25,
    centre: { lon: -121.49, lat: 38.58 },
    layout: "grid",
  });
  const tiles = cutStore(world, layout, (r, c) => `9${r}${c}`);

  it("cuts overlapping store images that show the same pixels where they overlap", () => {
    expect(size.step).toBe(120);
    expect(tiles.map((t) => t.id)).toEqual(["900", "901", "910", "911"]);
    const [a, b] = [tiles[0]!, tiles[1]!];
    // Column 120.. of tile (0,0) is column 0.. of tile (0,1).
    for (let y = 0; y < 160; y += 7) {
      for (let x = 0; x < 40; x++) {
        for (let c = 0; c < 3; c++)
          expect(a.rgb[(y * 160 + 120 + x) * 3 + c]).toBe(b.rgb[(y * 160 + x) * 3 + c]);
      }
    }
    // Their sidecar regions overlap by a quarter of the width.
    const ra = a.sidecar.region;
    const rb = b.sidecar.region;
    expect((ra[2] - rb[0]) / (ra[2] - ra[0])).toBeCloseTo(0.25, 6);
    // The same lane appears in both at the same Mercator position.
    const mid = pixelToMercator(b.grid, 20, 80);
    const inA = (mid[0] - a.grid.originX) / a.grid.resolution;
    expect(inA).toBeCloseTo(140, 6);
  });

  it("resamples onto its own grid exactly and onto a coarser grid with matching lanes", () => {
    const same = sampleWorld(world, world.grid);
    expect(same.coverage).toBeCloseTo(1, 9);
    let diff = 0;
    for (let i = 0; i < same.rgb.length; i += 5)
      diff = Math.max(diff, Math.abs(same.rgb[i]! - world.scene.rgb[i]!));
    expect(diff).toBeLessThanOrEqual(1);
    expect(Buffer.from(same.mask).equals(Buffer.from(world.scene.mask))).toBe(true);
    // A grid at half the resolution, shifted by 10.5 world pixels.
    const g = {
      ...world.grid,
      resolution: world.grid.resolution * 2,
      width: 80,
      height: 80,
      originX: world.grid.originX + 10.5 * world.grid.resolution,
    };
    const half = sampleWorld(world, g);
    expect(half.gsdM).toBeCloseTo(0.5, 2);
    expect(half.lanes.length).toBeGreaterThan(0);
    const src = world.scene.lanes.find((l) => l.points.length > 1)!;
    const [wx, wy] = src.points[0]!;
    const [mx, my] = pixelToMercator(world.grid, wx, wy);
    const tx = (mx - g.originX) / g.resolution;
    const ty = (g.originY - my) / g.resolution;
    if (tx > 0 && ty > 0 && tx < 80 && ty < 80) {
      expect(half.lanes.some((l) => l.points.some(([x, y]) => Math.hypot(x - tx, y - ty) < 1e-6))).toBe(true);
    }
  });
});
