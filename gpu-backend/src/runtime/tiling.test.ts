import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planTiles } from "./tiling.js";

describe("planTiles", () => {
  it("covers every pixel with exactly one tile's kept region, inside that tile's window", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.constantFrom(256, 512, 1024),
        fc.integer({ min: 0, max: 128 }),
        (w, h, maxTile, overlap) => {
          const tiles = planTiles(w, h, maxTile, overlap, 32);
          const cover = new Uint8Array(w * h);
          for (const t of tiles) {
            expect(t.width % 32).toBe(0);
            expect(t.width).toBeLessThanOrEqual(maxTile);
            expect(t.keepX0).toBeGreaterThanOrEqual(t.x);
            expect(t.keepX1).toBeLessThanOrEqual(t.x + t.width);
            expect(t.keepY0).toBeGreaterThanOrEqual(t.y);
            expect(t.keepY1).toBeLessThanOrEqual(t.y + t.height);
            for (let y = t.keepY0; y < Math.min(t.keepY1, h); y++)
              for (let x = t.keepX0; x < Math.min(t.keepX1, w); x++) cover[y * w + x]!++;
          }
          expect(cover.every((c) => c === 1)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  });

  it("keeps at least half the overlap as context on each interior seam", () => {
    const tiles = planTiles(1900, 600, 1024, 128, 32);
    expect(tiles.length).toBe(2);
    const [a, b] = tiles as [(typeof tiles)[0], (typeof tiles)[0]];
    expect(a.x + a.width - a.keepX1).toBeGreaterThanOrEqual(64 - 1);
    expect(b.keepX0 - b.x).toBeGreaterThanOrEqual(64 - 1);
  });

  it("uses one small window for a small raster instead of a padded full tile", () => {
    const tiles = planTiles(300, 200, 1024, 64, 32);
    expect(tiles).toHaveLength(1);
    expect(tiles[0]).toMatchObject({ x: 0, y: 0, width: 320, height: 224 });
  });

  it("splits a raster just over one tile into even windows, not full tiles", () => {
    const tiles = planTiles(1050, 1050, 1024, 64, 32);
    expect(tiles).toHaveLength(4);
    for (const t of tiles) expect(t.width).toBe(576);
  });
});
