/**
 * The committed samples stay consistent with the code that reads them: fixture masks are the
 * shared label rule over the fixture lanes, lanes in lon/lat sit on the lanes in pixels, and the
 * demo store's overlapping images carry AEL sidecars on one continuous Mercator grid.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { lonLatToPixel } from "@lanesegnet/shared";
import { describe, expect, it } from "vitest";
import { AelAnnotationSchema, aelGrid } from "./outputs/ael-format.js";
import type { FixtureFile } from "./outputs/fixtures.js";
import { decodeMask, decodeRaw } from "./render/encode.js";
import { maskFromLanes, type SceneLane } from "./scene.js";

const root = join(import.meta.dirname, "../..");
const fixtures = join(root, "test/fixtures/scenes");
const store = join(root, "gpu-backend/demo-store");

describe("committed scene fixtures", () => {
  const files = readdirSync(fixtures).filter((f) => /^fixture_\d+\.json$/.test(f));

  it("has a handful of small fixtures covering every lane class", () => {
    expect(files.length).toBeGreaterThanOrEqual(4);
    const classes = new Set<number>();
    for (const f of files) {
      const fx = JSON.parse(readFileSync(join(fixtures, f), "utf8")) as FixtureFile;
      for (const l of fx.lanes) classes.add(l.classId);
    }
    expect([...classes].sort()).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it.each(files)("%s: mask = label rule over its lanes; lon/lat on the pixel lanes", async (f) => {
    const fx = JSON.parse(readFileSync(join(fixtures, f), "utf8")) as FixtureFile;
    const img = await decodeRaw(join(fixtures, fx.image));
    expect([img.width, img.height]).toEqual([fx.width, fx.height]);
    const mask = await decodeMask(join(fixtures, fx.mask));
    const lanes = fx.lanes.map(
      (l) => ({ classId: l.classId, points: l.pixels, paintWidthM: l.paintWidthM }) as SceneLane,
    );
    const redrawn = maskFromLanes(lanes, fx.width, fx.height, fx.gsdM);
    let diff = 0;
    for (let i = 0; i < redrawn.length; i++) if (redrawn[i] !== mask.data[i]) diff++;
    // Pixel coordinates are stored to 1e-4 px, which can flip a pixel exactly on a label edge.
    expect(diff / redrawn.length).toBeLessThan(1e-3);
    for (const l of fx.lanes) {
      l.lonlat.forEach(([lon, lat], k) => {
        const [x, y] = lonLatToPixel(fx.grid, lon, lat);
        expect(Math.hypot(x - l.pixels[k]![0], y - l.pixels[k]![1])).toBeLessThan(0.1);
      });
    }
  });
});

describe("committed demo store", () => {
  it("holds overlapping JPEG images with AEL sidecars on one Mercator grid, under 3 MB", async () => {
    // Every JSON file in a store is an AEL sidecar of a JPEG.
    const jsons = readdirSync(store).filter((f) => f.endsWith(".json"));
    const ids = readdirSync(store)
      .filter((f) => f.endsWith(".jpg"))
      .map((f) => f.slice(0, -4))
      .sort();
    expect(ids.length).toBeGreaterThanOrEqual(4);
    expect(jsons.map((f) => f.slice(0, -5)).sort()).toEqual(ids);
    let bytes = 0;
    for (const f of readdirSync(store)) bytes += readFileSync(join(store, f)).length;
    expect(bytes).toBeLessThan(3 * 1024 * 1024);
    const grids = [];
    for (const id of ids) {
      const ann = AelAnnotationSchema.parse(JSON.parse(readFileSync(join(store, `${id}.json`), "utf8")));
      const grid = aelGrid(ann);
      const img = await decodeRaw(join(store, `${id}.jpg`));
      expect([img.width, img.height]).toEqual(ann.resolution);
      grids.push(grid);
    }
    // Same resolution everywhere; neighbours overlap; origins sit on whole pixels of one grid.
    const g0 = grids[0]!;
    for (const g of grids) {
      expect(g.resolution).toBeCloseTo(g0.resolution, 9);
      const dx = (g.originX - g0.originX) / g0.resolution;
      expect(Math.abs(dx - Math.round(dx))).toBeLessThan(1e-6);
    }
    const overlaps = grids.filter(
      (g) =>
        g !== g0 &&
        g.originX < g0.originX + g0.width * g0.resolution &&
        g.originY > g0.originY - g0.height * g0.resolution,
    );
    expect(overlaps.length).toBeGreaterThan(0);
  });
});
