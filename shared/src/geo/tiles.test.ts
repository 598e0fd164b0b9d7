import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { lonLatToGlobalPixel, MAX_LATITUDE, MERCATOR_HALF_WORLD_M } from "./mercator.js";
import {
  groundResolutionAtZoom,
  type LonLatBbox,
  lonLatToTile,
  tileBoundsLonLat,
  tileBoundsMercator,
  tileCover,
  tileCoverCount,
  tileGrid,
  zoomForGroundResolution,
} from "./tiles.js";

const lon = fc.double({ min: -180, max: 180, noNaN: true });
const lat = fc.double({ min: -MAX_LATITUDE, max: MAX_LATITUDE, noNaN: true });

const contains = (b: LonLatBbox, lo: number, la: number, eps = 1e-9): boolean =>
  lo >= b[0] - eps && lo <= b[2] + eps && la >= b[1] - eps && la <= b[3] + eps;

describe("tile of a point", () => {
  it("knows the fixed tiles", () => {
    expect(lonLatToTile(0, 0, 0)).toEqual({ x: 0, y: 0, z: 0 });
    expect(lonLatToTile(-180, MAX_LATITUDE, 5)).toEqual({ x: 0, y: 0, z: 5 });
    expect(lonLatToTile(180, -MAX_LATITUDE, 5)).toEqual({ x: 31, y: 31, z: 5 });
    // Quadrants at zoom 1: x grows east, y grows south; edge points go to the east/south tile.
    expect(lonLatToTile(-1, 1, 1)).toEqual({ x: 0, y: 0, z: 1 });
    expect(lonLatToTile(1, -1, 1)).toEqual({ x: 1, y: 1, z: 1 });
    expect(lonLatToTile(0, 0, 1)).toEqual({ x: 1, y: 1, z: 1 });
    // Clamped beyond the Mercator limit.
    expect(lonLatToTile(0, 89.9, 4).y).toBe(0);
  });

  it("returns a tile whose bounds contain the point, and agrees with global pixels", () => {
    fc.assert(
      fc.property(lon, lat, fc.integer({ min: 0, max: 23 }), (lo, la, z) => {
        const t = lonLatToTile(lo, la, z);
        expect(contains(tileBoundsLonLat(t), lo, la)).toBe(true);
        const [px, py] = lonLatToGlobalPixel(lo, la, z);
        expect(Math.abs(t.x - Math.min(2 ** z - 1, Math.floor(px / 256)))).toBeLessThanOrEqual(1);
        expect(Math.abs(t.y - Math.min(2 ** z - 1, Math.floor(py / 256)))).toBeLessThanOrEqual(1);
      }),
    );
  });
});

describe("tile bounds", () => {
  it("spans the whole world at zoom 0", () => {
    const [minX, minY, maxX, maxY] = tileBoundsMercator({ x: 0, y: 0, z: 0 });
    expect([minX, minY, maxX, maxY]).toEqual([
      -MERCATOR_HALF_WORLD_M,
      -MERCATOR_HALF_WORLD_M,
      MERCATOR_HALF_WORLD_M,
      MERCATOR_HALF_WORLD_M,
    ]);
    const [w, s, e, n] = tileBoundsLonLat({ x: 0, y: 0, z: 0 });
    expect(w).toBeCloseTo(-180, 9);
    expect(e).toBeCloseTo(180, 9);
    expect(s).toBeCloseTo(-MAX_LATITUDE, 9);
    expect(n).toBeCloseTo(MAX_LATITUDE, 9);
  });

  it("makes neighbouring tiles share edges and the tile grid match the bounds", () => {
    const t = { x: 482_345, y: 301_010, z: 20 };
    const b = tileBoundsMercator(t);
    expect(tileBoundsMercator({ ...t, x: t.x + 1 })[0]).toBeCloseTo(b[2], 6);
    expect(tileBoundsMercator({ ...t, y: t.y + 1 })[3]).toBeCloseTo(b[1], 6);
    const g = tileGrid(t);
    expect(g.originX).toBe(b[0]);
    expect(g.originY).toBe(b[3]);
    expect(g.resolution * g.width).toBeCloseTo(b[2] - b[0], 6);
  });
});

describe("tile cover", () => {
  const bbox = fc
    .tuple(
      lon,
      lon,
      fc.double({ min: -85, max: 85, noNaN: true }),
      fc.double({ min: -85, max: 85, noNaN: true }),
    )
    .map(([a, b, c, d]): LonLatBbox => [Math.min(a, b), Math.min(c, d), Math.max(a, b), Math.max(c, d)]);

  it("contains the bbox corners and only tiles that touch the bbox", () => {
    fc.assert(
      fc.property(bbox, fc.integer({ min: 0, max: 12 }), (b, z) => {
        fc.pre(tileCoverCount(b, z) <= 4096);
        const cover = tileCover(b, z);
        expect(cover.length).toBe(tileCoverCount(b, z));
        for (const [lo, la] of [
          [b[0], b[1]],
          [b[0], b[3]],
          [b[2], b[1]],
          [b[2], b[3]],
        ] as const) {
          expect(cover.some((t) => contains(tileBoundsLonLat(t), lo, la))).toBe(true);
        }
        for (const t of cover) {
          const tb = tileBoundsLonLat(t);
          const overlaps =
            tb[0] <= b[2] + 1e-9 && tb[2] >= b[0] - 1e-9 && tb[1] <= b[3] + 1e-9 && tb[3] >= b[1] - 1e-9;
          expect(overlaps).toBe(true);
        }
      }),
    );
  });

  it("covers a small city bbox with the expected tiles", () => {
    // Brisbane CBD at zoom 17: computed by hand from the XYZ formula.
    const b: LonLatBbox = [153.02, -27.475, 153.03, -27.465];
    const cover = tileCover(b, 17);
    const xs = new Set(cover.map((t) => t.x));
    const ys = new Set(cover.map((t) => t.y));
    expect(Math.min(...xs)).toBe(Math.floor(((153.02 + 180) / 360) * 2 ** 17));
    expect(Math.max(...xs)).toBe(Math.floor(((153.03 + 180) / 360) * 2 ** 17));
    expect(cover.length).toBe(xs.size * ys.size);
  });

  it("does not add a tile for an edge lying exactly on a tile boundary", () => {
    expect(tileCover([-10, -10, 0, 0], 1)).toEqual([{ x: 0, y: 1, z: 1 }]);
    expect(tileCover([0, 0, 0, 0], 1)).toEqual([{ x: 1, y: 1, z: 1 }]);
  });

  it("refuses antimeridian-crossing boxes and covers that are too large", () => {
    expect(() => tileCover([170, 0, -170, 10], 3)).toThrow(RangeError);
    expect(() => tileCover([-180, -85, 180, 85], 10, 100)).toThrow(/exceeds maxTiles/);
  });
});

describe("zoom for a ground resolution", () => {
  it("is the smallest zoom at least as fine as wanted", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.05, max: 5000, noNaN: true }),
        fc.double({ min: -85, max: 85, noNaN: true }),
        (wanted, la) => {
          const z = zoomForGroundResolution(wanted, la);
          expect(groundResolutionAtZoom(z, la)).toBeLessThanOrEqual(wanted);
          if (z > 0) expect(groundResolutionAtZoom(z - 1, la)).toBeGreaterThan(wanted);
        },
      ),
    );
  });

  it("picks zoom 19 for 0.2 m at 55.8° and caps at maxZoom", () => {
    expect(zoomForGroundResolution(0.2, 55.8)).toBe(19);
    expect(zoomForGroundResolution(0.16783, 55.8)).toBe(19); // 0.1678281 <= 0.16783
    expect(zoomForGroundResolution(0.1678, 55.8)).toBe(20);
    expect(zoomForGroundResolution(0.001, 0)).toBe(23);
    expect(zoomForGroundResolution(0.001, 0, 256, 21)).toBe(21);
    expect(() => zoomForGroundResolution(0, 0)).toThrow(RangeError);
  });
});
