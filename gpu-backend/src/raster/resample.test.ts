import {
  gridBoundsMercator,
  lonLatToMercator,
  type MercatorGrid,
  mercatorResolutionForGround,
  mercatorToPixel,
  pixelToMercator,
} from "@lanesegnet/shared";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { boxReduce, finestOnTop, type ResampleSource, resample } from "./resample.js";
import { targetGrid } from "./target-grid.js";

const X0 = -41_909.78;
const Y0 = 4_782_162.06;

function grid(
  originX: number,
  originY: number,
  resolution: number,
  width: number,
  height: number,
): MercatorGrid {
  return { originX, originY, resolution, width, height };
}

/** A source raster whose value at each pixel centre is f(Mercator x, y). */
function rasterOf(g: MercatorGrid, f: (x: number, y: number) => [number, number, number]): ResampleSource {
  const rgb = new Uint8Array(g.width * g.height * 3);
  for (let j = 0; j < g.height; j++) {
    for (let i = 0; i < g.width; i++) {
      const [x, y] = pixelToMercator(g, i + 0.5, j + 0.5);
      rgb.set(f(x, y), (j * g.width + i) * 3);
    }
  }
  return { grid: g, rgb };
}

/** A Gaussian blob (red channel, peak 250) centred on a Mercator point; zero beyond 6 sigma. */
function blob(g: MercatorGrid, mx: number, my: number, sigma: number): ResampleSource {
  const rgb = new Uint8Array(g.width * g.height * 3);
  const [cu, cv] = mercatorToPixel(g, mx, my);
  const r = (6 * sigma) / g.resolution;
  for (let j = Math.max(0, Math.floor(cv - r)); j < Math.min(g.height, Math.ceil(cv + r)); j++) {
    for (let i = Math.max(0, Math.floor(cu - r)); i < Math.min(g.width, Math.ceil(cu + r)); i++) {
      const [x, y] = pixelToMercator(g, i + 0.5, j + 0.5);
      rgb[(j * g.width + i) * 3] =
        250 * Math.exp(-((x - mx) ** 2 + (y - my) ** 2) / (2 * sigma * sigma)) + 0.5;
    }
  }
  return { grid: g, rgb };
}

/** Intensity-weighted centroid of the red channel, in continuous pixel coordinates. */
function centroid(rgb: Uint8Array, g: MercatorGrid): [number, number] {
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (let j = 0; j < g.height; j++) {
    for (let i = 0; i < g.width; i++) {
      const v = rgb[(j * g.width + i) * 3]!;
      sw += v;
      sx += v * (i + 0.5);
      sy += v * (j + 0.5);
    }
  }
  return [sx / sw, sy / sw];
}

describe("targetGrid", () => {
  it("puts the origin at (minX, maxY) with ground/cos(lat) square pixels and ceil sizes", () => {
    const bbox = [-0.38, 39.46, -0.375, 39.463] as const;
    const g = targetGrid(bbox, 0.25);
    const [minX, minY] = lonLatToMercator(bbox[0], bbox[1]);
    const [maxX, maxY] = lonLatToMercator(bbox[2], bbox[3]);
    const res = 0.25 / Math.cos((((bbox[1] + bbox[3]) / 2) * Math.PI) / 180);
    expect(g.originX).toBe(minX);
    expect(g.originY).toBe(maxY);
    expect(g.resolution).toBeCloseTo(res, 12);
    expect(g.resolution).toBe(mercatorResolutionForGround(0.25, (bbox[1] + bbox[3]) / 2));
    expect(g.width).toBe(Math.ceil((maxX - minX) / res));
    expect(g.height).toBe(Math.ceil((maxY - minY) / res));
    // The last column/row reaches past the area by less than one pixel.
    const [, gMinY, gMaxX] = gridBoundsMercator(g);
    expect(gMaxX - maxX).toBeGreaterThanOrEqual(0);
    expect(gMaxX - maxX).toBeLessThan(g.resolution);
    expect(minY - gMinY).toBeGreaterThanOrEqual(0);
    expect(minY - gMinY).toBeLessThan(g.resolution);
  });
});

describe("resample", () => {
  it("lands a sub-pixel feature within 0.1 px of where the geotransforms put it", () => {
    const src = grid(X0, Y0, 0.3, 600, 600);
    fc.assert(
      fc.property(
        fc.double({ min: 250, max: 350, noNaN: true }),
        fc.double({ min: 250, max: 350, noNaN: true }),
        fc.constantFrom(0.11, 0.3, 0.4137, 0.77, 1.05), // up-sampling, same, down, and box-reduced (k = 2, 3)
        fc.double({ min: 0, max: 20, noNaN: true }),
        fc.double({ min: 0, max: 20, noNaN: true }),
        (pu, pv, targetRes, dx, dy) => {
          const [mx, my] = pixelToMercator(src, pu, pv);
          const sigma = 5 * Math.max(0.3, targetRes); // metres; several pixels of both grids
          const source = blob(src, mx, my, sigma);
          // A target around the feature, with an origin unrelated to the source grid.
          const size = Math.ceil((16 * sigma) / targetRes);
          const tgt = grid(
            mx - (size / 2) * targetRes + dx * 0.01,
            my + (size / 2) * targetRes - dy * 0.013,
            targetRes,
            size,
            size,
          );
          const out = resample(tgt, [source]);
          expect(out.coverage).toBe(1);
          const [cx, cy] = centroid(out.raster.rgb, tgt);
          const [ex, ey] = mercatorToPixel(tgt, mx, my);
          expect(Math.abs(cx - ex)).toBeLessThan(0.1);
          expect(Math.abs(cy - ey)).toBeLessThan(0.1);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("copies pixels exactly when the grids differ by whole pixels, and averages at half pixels", () => {
    const src = grid(X0, Y0, 0.5, 40, 30);
    const source = rasterOf(src, (x, y) => [(x - X0) * 5, (Y0 - y) * 7, 200]);
    const shifted = grid(X0 + 5 * 0.5, Y0 - 7 * 0.5, 0.5, 20, 10);
    const out = resample(shifted, [source]);
    for (let j = 0; j < 10; j++) {
      for (let i = 0; i < 20; i++) {
        const s = ((j + 7) * 40 + (i + 5)) * 3;
        expect([...out.raster.rgb.subarray((j * 20 + i) * 3, (j * 20 + i) * 3 + 3)]).toEqual([
          ...source.rgb.subarray(s, s + 3),
        ]);
      }
    }
    const half = resample(grid(X0 + 5.5 * 0.5, Y0 - 7 * 0.5, 0.5, 20, 10), [source]);
    for (let i = 0; i < 20; i++) {
      const a = source.rgb[(7 * 40 + i + 5) * 3]!;
      const b = source.rgb[(7 * 40 + i + 6) * 3]!;
      expect(half.raster.rgb[i * 3]).toBe(Math.floor((a + b) / 2 + 0.5));
    }
  });

  it("reports the pixels no source covers, deciding by pixel centre", () => {
    const src = grid(X0, Y0, 1, 100, 100);
    const source = rasterOf(src, () => [10, 20, 30]);
    // 0.5 m target pixels: columns 0..199 are inside the source, 200..249 (25 m) are east of it.
    const tgt = grid(X0, Y0, 0.5, 250, 40);
    const out = resample(tgt, [source]);
    expect(out.coverage).toBeCloseTo(200 / 250, 12);
    for (let j = 0; j < 40; j++) {
      expect(out.owner[j * 250 + 199]).toBe(1);
      expect(out.owner[j * 250 + 200]).toBe(0);
      expect([...out.raster.rgb.subarray((j * 250 + 200) * 3, (j * 250 + 201) * 3)]).toEqual([0, 0, 0]);
    }
    // A target pixel whose centre lies exactly on the source's west edge is inside (half-open).
    const edge = resample(grid(X0 - 0.25, Y0, 0.5, 2, 1), [source]);
    expect([...edge.owner]).toEqual([1, 1]);
    const outside = resample(grid(X0 - 0.5, Y0, 0.5, 2, 1), [source]);
    expect([...outside.owner]).toEqual([0, 1]);
  });

  it("draws later sources over earlier ones; finestOnTop puts the finest last", () => {
    const coarse = rasterOf(grid(X0, Y0, 1, 60, 60), () => [200, 0, 0]);
    const fine = rasterOf(grid(X0 + 20, Y0 - 20, 0.25, 80, 80), () => [0, 0, 200]);
    const tgt = grid(X0, Y0, 0.5, 120, 120);
    const ordered = finestOnTop([fine, coarse]);
    expect(ordered).toEqual([coarse, fine]);
    const out = resample(tgt, ordered);
    const at = (mx: number, my: number) => {
      const [i, j] = mercatorToPixel(tgt, mx, my).map(Math.floor) as [number, number];
      return out.owner[j * 120 + i];
    };
    expect(at(X0 + 30, Y0 - 30)).toBe(2); // overlap: the fine one
    expect(at(X0 + 10, Y0 - 30)).toBe(1); // coarse only
    expect(out.pixelsBySource).toEqual([120 * 120 - (80 * 80) / 4, (80 * 80) / 4]);
    const reversed = resample(tgt, [fine, coarse]);
    expect(reversed.pixelsBySource).toEqual([0, 120 * 120]);
  });

  it("box-averages much finer sources so a thin line never vanishes between samples", () => {
    // A 1-px (0.1 m) vertical line on black, seen by a 0.4 m target at several phases.
    const src = grid(X0, Y0, 0.1, 200, 20);
    const line = rasterOf(src, (x) =>
      Math.floor((x - X0) / 0.1 + 1e-6) === 101 ? [255, 255, 255] : [0, 0, 0],
    );
    const rowSums = (antialias: boolean) =>
      Array.from({ length: 10 }, (_, k) => {
        const tgt = grid(X0 + k * 0.037, Y0, 0.4, 40, 4);
        const out = resample(tgt, [line], { antialias });
        let sum = 0;
        for (let i = 0; i < 40; i++) sum += out.raster.rgb[(2 * 40 + i) * 3]!;
        return sum;
      });
    // The line's share of a target row: 255 x 0.1 / 0.4 = 63.75, whatever the phase.
    for (const sum of rowSums(true)) expect(Math.abs(sum - 63.75)).toBeLessThanOrEqual(2);
    // Plain bilinear misses it at some phases and doubles it at others.
    const plain = rowSums(false);
    expect(Math.min(...plain)).toBe(0);
    expect(Math.max(...plain)).toBeGreaterThan(100);
  });

  it("boxReduce averages whole and partial blocks", () => {
    const rgb = Uint8Array.from([10, 0, 0, 20, 0, 0, 30, 0, 0, 40, 0, 0, 50, 0, 0, 60, 0, 0]); // 3 x 2
    expect([...boxReduce(rgb, 3, 2, 2, 2)]).toEqual([
      Math.round((10 + 20 + 40 + 50) / 4),
      0,
      0,
      (30 + 60) / 2,
      0,
      0,
    ]);
  });

  it("leaves target pixels empty where the source pixel under their centre is invalid", () => {
    const src = grid(X0, Y0, 1, 4, 4);
    const source = { ...rasterOf(src, () => [50, 50, 50]), valid: new Uint8Array(16).fill(1) };
    source.valid[1 * 4 + 2] = 0; // pixel (2, 1)
    const out = resample(grid(X0, Y0, 0.5, 8, 8), [source]);
    const empty = [...out.owner.keys()]
      .filter((p) => out.owner[p] === 0)
      .map((p) => [p % 8, Math.floor(p / 8)]);
    expect(empty).toEqual([
      [4, 2],
      [5, 2],
      [4, 3],
      [5, 3],
    ]);
    expect(out.coverage).toBe(60 / 64);
  });
});

describe("resample: a validity mask under box reduction", () => {
  it("judges validity in the source's own pixels when the source is box-reduced", () => {
    // Source: 16 x 4 px of 1 m; right half (x >= 8) is no data. Target: 4 x 1 px of 4 m.
    const w = 16;
    const h = 4;
    const valid = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < 8; x++) valid[y * w + x] = 1;
    const source = {
      grid: { originX: 0, originY: 4, resolution: 1, width: w, height: h },
      rgb: new Uint8Array(w * h * 3).fill(100),
      valid,
    };
    const out = resample({ originX: 0, originY: 4, resolution: 4, width: 4, height: 1 }, [source]);
    expect(Array.from(out.owner)).toEqual([1, 1, 0, 0]);
  });
});

describe("resample: coverage is half-open", () => {
  it("a target pixel centred exactly on a source's far edge is not covered by it", () => {
    const source = {
      grid: { originX: 0, originY: 4, resolution: 1, width: 4, height: 4 },
      rgb: new Uint8Array(48).fill(9),
    };
    const out = resample({ originX: 0.5, originY: 3.5, resolution: 1, width: 4, height: 1 }, [source], {
      antialias: false,
    });
    expect(Array.from(out.owner)).toEqual([1, 1, 1, 0]);
  });
});
