import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { geodesicDistance } from "./geodesic.js";
import {
  EARTH_RADIUS_M,
  globalPixelToLonLat,
  groundResolution,
  lonLatToGlobalPixel,
  lonLatToMercator,
  lonLatToPixel,
  MAX_LATITUDE,
  type MercatorGrid,
  mercatorResolutionAtZoom,
  mercatorResolutionForGround,
  mercatorToLonLat,
  pixelToLonLat,
} from "./mercator.js";
import { meridianArc, meridianSegment } from "./meridian-arc.test-helper.js";

const lon = fc.double({ min: -180, max: 180, noNaN: true });
const lat = fc.double({ min: -MAX_LATITUDE, max: MAX_LATITUDE, noNaN: true });

describe("EPSG:3857 exact values", () => {
  it("projects Brisbane (153.0255, -27.4701) as the EPSG:3857 formula does, to 1 mm", () => {
    const [x, y] = lonLatToMercator(153.0255, -27.4701);
    // x = R·λ; y = R·atanh(sin φ), the equivalent form of R·ln(tan(π/4 + φ/2)).
    const expectedX = 6378137 * ((153.0255 * Math.PI) / 180);
    const expectedY = 6378137 * Math.atanh(Math.sin((-27.4701 * Math.PI) / 180));
    expect(Math.abs(x - expectedX)).toBeLessThan(0.001);
    expect(Math.abs(y - expectedY)).toBeLessThan(0.001);
    // Same point evaluated with 40-digit arithmetic (mpmath), as a literal.
    expect(Math.abs(x - 17034720.738386)).toBeLessThan(0.001);
    expect(Math.abs(y - -3182328.305226)).toBeLessThan(0.001);
  });

  it("gives 0.16783 m ground resolution for 256-px tiles at zoom 19, latitude 55.8°, within 0.1 %", () => {
    const r = groundResolution(mercatorResolutionAtZoom(19), 55.8);
    expect(Math.abs(r - 0.16783) / 0.16783).toBeLessThan(0.001);
    expect(mercatorResolutionAtZoom(0)).toBeCloseTo((2 * Math.PI * EARTH_RADIUS_M) / 256, 9);
  });

  it("measures a 1 km meridian segment at 45° right to 1 mm (reference: meridian-arc series)", () => {
    const [south, north] = meridianSegment(45, 1000);
    expect(meridianArc(north) - meridianArc(south)).toBeCloseTo(1000, 6);
    const d = geodesicDistance([7, south], [7, north]);
    expect(Math.abs(d - 1000)).toBeLessThan(0.001);
    // A fixed segment against 40-digit numerical integration of the meridian radius (mpmath).
    expect(Math.abs(geodesicDistance([0, 44.9955], [0, 45.0045]) - 1000.1859967277547)).toBeLessThan(0.001);
  });
});

describe("round trips", () => {
  it("lon/lat -> Mercator -> lon/lat", () => {
    fc.assert(
      fc.property(lon, lat, (lo, la) => {
        const [x, y] = lonLatToMercator(lo, la);
        const [lo2, la2] = mercatorToLonLat(x, y);
        expect(Math.abs(lo2 - lo)).toBeLessThan(1e-9);
        expect(Math.abs(la2 - la)).toBeLessThan(1e-9);
      }),
    );
  });

  it("maps the Mercator limit latitude to the edge of the world square", () => {
    const [, y] = lonLatToMercator(0, MAX_LATITUDE);
    expect(y).toBeCloseTo(Math.PI * EARTH_RADIUS_M, 3);
  });

  it("pixel <-> lon/lat in a grid", () => {
    fc.assert(
      fc.property(
        lon,
        fc.double({ min: -80, max: 80, noNaN: true }),
        fc.double({ min: 0.02, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 4096, noNaN: true }),
        fc.double({ min: 0, max: 4096, noNaN: true }),
        (lo, la, res, px, py) => {
          const [ox, oy] = lonLatToMercator(lo, la);
          const grid: MercatorGrid = { originX: ox, originY: oy, resolution: res, width: 4096, height: 4096 };
          const [plon, plat] = pixelToLonLat(grid, px, py);
          const [px2, py2] = lonLatToPixel(grid, plon, plat);
          expect(Math.abs(px2 - px)).toBeLessThan(1e-5);
          expect(Math.abs(py2 - py)).toBeLessThan(1e-5);
        },
      ),
    );
  });

  it("places the grid origin at pixel (0, 0) and grows y southwards", () => {
    const [ox, oy] = lonLatToMercator(10, 50);
    const grid: MercatorGrid = { originX: ox, originY: oy, resolution: 0.5, width: 100, height: 100 };
    const [px, py] = lonLatToPixel(grid, 10, 50);
    expect(px).toBeCloseTo(0, 9);
    expect(py).toBeCloseTo(0, 9);
    expect(pixelToLonLat(grid, 0, 10)[1]).toBeLessThan(50);
    expect(pixelToLonLat(grid, 10, 0)[0]).toBeGreaterThan(10);
  });

  it("global pixels round trip and match tile sizes", () => {
    fc.assert(
      fc.property(lon, lat, fc.integer({ min: 0, max: 22 }), (lo, la, z) => {
        const [px, py] = lonLatToGlobalPixel(lo, la, z);
        const [lo2, la2] = globalPixelToLonLat(px, py, z);
        expect(Math.abs(lo2 - lo)).toBeLessThan(1e-9);
        expect(Math.abs(la2 - la)).toBeLessThan(1e-9);
      }),
    );
    expect(lonLatToGlobalPixel(180, -MAX_LATITUDE, 3)[0]).toBeCloseTo(256 * 8, 6);
    expect(lonLatToGlobalPixel(180, -MAX_LATITUDE, 3)[1]).toBeCloseTo(256 * 8, 6);
  });

  it("ground <-> Mercator resolution are inverse", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.double({ min: -85, max: 85, noNaN: true }),
        (g, la) => {
          expect(groundResolution(mercatorResolutionForGround(g, la), la)).toBeCloseTo(g, 9);
        },
      ),
    );
  });
});
