import { groundResolution, lonLatToPixel, pixelToLonLat } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { aelGrid, aelLanePixels } from "./outputs/ael-format.js";
import { placeScene } from "./place.js";
import { renderScene } from "./scene.js";

describe("placeScene", () => {
  const scene = renderScene({ seed: 21, width: 320, height: 240, gsdM: 0.2, layout: "cross" });

  it.each([
    { lon: 144.9631, lat: -37.8136 },
    { lon: -0.3763, lat: 39.4699 },
    { lon: 10.75, lat: 59.91 },
  ])("round-trips pixel <-> lon/lat to a tenth of a pixel at %o", (at) => {
    const placed = placeScene(scene, at);
    // Ground resolution at the centre is the scene's gsd.
    expect(groundResolution(placed.grid.resolution, at.lat)).toBeCloseTo(0.2, 9);
    for (const [x, y] of [
      [0, 0],
      [319.5, 239.5],
      [160, 120],
      [12.25, 200.75],
    ] as const) {
      const [lon, lat] = pixelToLonLat(placed.grid, x, y);
      const [px, py] = lonLatToPixel(placed.grid, lon, lat);
      expect(Math.abs(px - x)).toBeLessThan(0.1);
      expect(Math.abs(py - y)).toBeLessThan(0.1);
    }
    // The image centre is where we asked.
    const [clon, clat] = pixelToLonLat(placed.grid, 160, 120);
    expect(clon).toBeCloseTo(at.lon, 9);
    expect(clat).toBeCloseTo(at.lat, 9);
    // Lanes in lon/lat map back onto the scene's pixel polylines.
    expect(placed.lanes.length).toBe(scene.lanes.length);
    placed.lanes.forEach((gl, i) => {
      gl.coordinates.forEach(([lon, lat], k) => {
        const [px, py] = lonLatToPixel(placed.grid, lon, lat);
        const p = scene.lanes[i]!.points[k]!;
        expect(Math.hypot(px - p[0], py - p[1])).toBeLessThan(0.1);
      });
    });
  });

  it("writes an AEL sidecar whose vertices (+0.5) are the lane pixels and whose region is the grid", () => {
    const placed = placeScene(scene, { lon: 2.35, lat: 48.85 });
    const grid = aelGrid(placed.sidecar);
    expect(grid.originX).toBeCloseTo(placed.grid.originX, 6);
    expect(grid.originY).toBeCloseTo(placed.grid.originY, 6);
    expect(grid.resolution).toBeCloseTo(placed.grid.resolution, 9);
    expect(placed.sidecar.resolution).toEqual([320, 240]);
    placed.sidecar.lanes.forEach((l, i) => {
      const pts = aelLanePixels(l);
      pts.forEach(([x, y], k) => {
        const p = scene.lanes[i]!.points[k]!;
        expect(Math.abs(x - p[0])).toBeLessThanOrEqual(0.005 + 1e-9);
        expect(Math.abs(y - p[1])).toBeLessThanOrEqual(0.005 + 1e-9);
      });
    });
  });
});
