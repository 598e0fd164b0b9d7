/**
 * One large continuous world (e.g. 3000 x 3000 px) placed on the map, so several images of the
 * same place agree: cut it into overlapping store images (local imagery store with AEL sidecars),
 * or resample it onto any Web Mercator grid (XYZ tiles for loopback tile servers in tests).
 */
import {
  groundResolution,
  type MercatorGrid,
  mercatorToLonLat,
  mercatorToPixel,
  pixelToMercator,
} from "@lanesegnet/shared";
import type { LayoutKind } from "./geometry/layouts.js";
import { clipPolylineToRect, type Pt } from "./geometry/polyline.js";
import { shiftIntervals } from "./markings/dashes.js";
import type { StyleName } from "./markings/styles.js";
import { type AelAnnotation, makeSidecar } from "./outputs/ael-format.js";
import { type GeoLane, gridAt, type LonLat, lanesToLonLat } from "./place.js";
import { LANE_CLIP_MARGIN_PX, maskFromLanes, renderScene, type Scene, type SceneLane } from "./scene.js";

export interface WorldSpec {
  seed: number;
  width: number;
  height: number;
  gsdM: number;
  centre: LonLat;
  layout?: LayoutKind;
  style?: StyleName;
}

export interface World {
  scene: Scene;
  grid: MercatorGrid;
  lanes: GeoLane[];
}

export function renderWorld(spec: WorldSpec): World {
  const scene = renderScene({
    seed: spec.seed,
    width: spec.width,
    height: spec.height,
    gsdM: spec.gsdM,
    ...(spec.layout ? { layout: spec.layout } : {}),
    ...(spec.style ? { style: spec.style } : {}),
  });
  const grid = gridAt(spec.width, spec.height, spec.gsdM, spec.centre);
  return { scene, grid, lanes: lanesToLonLat(grid, scene.lanes) };
}

export interface WorldView {
  grid: MercatorGrid;
  /** Ground metres per pixel at the view's centre. */
  gsdM: number;
  rgb: Uint8Array;
  mask: Uint8Array;
  lanes: SceneLane[];
  /** Fraction of the view's pixels that the world covers. */
  coverage: number;
}

/** Lanes of the world in another grid's pixel coordinates, clipped to it (with the usual margin). */
export function lanesInGrid(world: World, grid: MercatorGrid): SceneLane[] {
  const m = LANE_CLIP_MARGIN_PX;
  const rect = { minX: -m, minY: -m, maxX: grid.width + m, maxY: grid.height + m };
  const gsd = groundGsd(grid);
  const out: SceneLane[] = [];
  for (const lane of world.scene.lanes) {
    const pts: Pt[] = lane.points.map(([x, y]) => {
      const [mx, my] = pixelToMercator(world.grid, x, y);
      return mercatorToPixel(grid, mx, my);
    });
    for (const piece of clipPolylineToRect(pts, rect)) {
      let len = 0;
      for (let i = 1; i < piece.points.length; i++) {
        len += Math.hypot(
          piece.points[i]![0] - piece.points[i - 1]![0],
          piece.points[i]![1] - piece.points[i - 1]![1],
        );
      }
      if (len < 1) continue;
      const painted = shiftIntervals(lane.painted, piece.s0 * gsd, len * gsd);
      if (painted.length === 0) continue;
      out.push({ ...lane, points: piece.points, painted });
    }
  }
  return out;
}

/** Ground metres per pixel at a grid's centre. */
export function groundGsd(grid: MercatorGrid): number {
  const [cx, cy] = pixelToMercator(grid, grid.width / 2, grid.height / 2);
  return groundResolution(grid.resolution, mercatorToLonLat(cx, cy)[1]);
}

/**
 * Render the world onto any Mercator grid: bilinear resampling (area-averaged when the target is
 * coarser), lanes transformed exactly, mask by the shared label rule at the target's resolution.
 */
export function sampleWorld(world: World, grid: MercatorGrid): WorldView {
  const { width: tw, height: th } = grid;
  const src = world.scene.rgb;
  const sw = world.scene.width;
  const sh = world.scene.height;
  const rgb = new Uint8Array(tw * th * 3);
  const scale = grid.resolution / world.grid.resolution;
  const n = Math.min(4, Math.max(1, Math.ceil(scale - 1e-9)));
  // Both grids are axis-aligned Mercator rasters: target pixel -> world pixel is affine per axis.
  const ax = (grid.originX - world.grid.originX) / world.grid.resolution;
  const ay = (world.grid.originY - grid.originY) / world.grid.resolution;
  let covered = 0;
  let r = 0;
  let g = 0;
  let b = 0;
  for (let j = 0; j < th; j++) {
    for (let i = 0; i < tw; i++) {
      r = g = b = 0;
      let hits = 0;
      for (let sj = 0; sj < n; sj++) {
        // Continuous world pixel of the sample, then the bilinear lattice (centres at k + 0.5).
        const y = ay + (j + (sj + 0.5) / n) * scale - 0.5;
        if (y < -0.5 || y > sh - 0.5) continue;
        const y0 = Math.max(0, Math.min(sh - 1, Math.floor(y)));
        const y1 = Math.min(sh - 1, y0 + 1);
        const fy = Math.max(0, Math.min(1, y - y0));
        for (let si = 0; si < n; si++) {
          const x = ax + (i + (si + 0.5) / n) * scale - 0.5;
          if (x < -0.5 || x > sw - 0.5) continue;
          const x0 = Math.max(0, Math.min(sw - 1, Math.floor(x)));
          const x1 = Math.min(sw - 1, x0 + 1);
          const fx = Math.max(0, Math.min(1, x - x0));
          const p00 = (y0 * sw + x0) * 3;
          const p10 = (y0 * sw + x1) * 3;
          const p01 = (y1 * sw + x0) * 3;
          const p11 = (y1 * sw + x1) * 3;
          const w00 = (1 - fx) * (1 - fy);
          const w10 = fx * (1 - fy);
          const w01 = (1 - fx) * fy;
          const w11 = fx * fy;
          r += src[p00]! * w00 + src[p10]! * w10 + src[p01]! * w01 + src[p11]! * w11;
          g += src[p00 + 1]! * w00 + src[p10 + 1]! * w10 + src[p01 + 1]! * w01 + src[p11 + 1]! * w11;
          b += src[p00 + 2]! * w00 + src[p10 + 2]! * w10 + src[p01 + 2]! * w01 + src[p11 + 2]! * w11;
          hits++;
        }
      }
      if (hits > 0) {
        covered += hits / (n * n);
        const o = (j * tw + i) * 3;
        rgb[o] = Math.round(r / hits);
        rgb[o + 1] = Math.round(g / hits);
        rgb[o + 2] = Math.round(b / hits);
      }
    }
  }
  const lanes = lanesInGrid(world, grid);
  const gsdM = groundGsd(grid);
  return { grid, gsdM, rgb, mask: maskFromLanes(lanes, tw, th, gsdM), lanes, coverage: covered / (tw * th) };
}

export interface StoreImage {
  id: string;
  row: number;
  col: number;
  grid: MercatorGrid;
  rgb: Uint8Array;
  mask: Uint8Array;
  lanes: SceneLane[];
  sidecar: AelAnnotation;
}

export interface StoreLayout {
  cols: number;
  rows: number;
  tile: number;
  overlap: number;
}

/** World size in pixels needed for a grid of overlapping tiles. */
export function storeWorldSize(l: StoreLayout): { width: number; height: number; step: number } {
  const step = Math.max(1, Math.round(l.tile * (1 - l.overlap)));
  return { width: l.tile + (l.cols - 1) * step, height: l.tile + (l.rows - 1) * step, step };
}

/** Cut the world into cols x rows overlapping tiles (exact pixel crops, no resampling). */
export function cutStore(
  world: World,
  l: StoreLayout,
  idFor: (row: number, col: number) => string,
): StoreImage[] {
  const { step } = storeWorldSize(l);
  const out: StoreImage[] = [];
  const sw = world.scene.width;
  for (let row = 0; row < l.rows; row++) {
    for (let col = 0; col < l.cols; col++) {
      const x0 = col * step;
      const y0 = row * step;
      if (x0 + l.tile > sw || y0 + l.tile > world.scene.height)
        throw new RangeError("world too small for the store layout");
      const grid: MercatorGrid = {
        originX: world.grid.originX + x0 * world.grid.resolution,
        originY: world.grid.originY - y0 * world.grid.resolution,
        resolution: world.grid.resolution,
        width: l.tile,
        height: l.tile,
      };
      const rgb = new Uint8Array(l.tile * l.tile * 3);
      for (let y = 0; y < l.tile; y++) {
        const s = ((y0 + y) * sw + x0) * 3;
        rgb.set(world.scene.rgb.subarray(s, s + l.tile * 3), y * l.tile * 3);
      }
      const lanes = lanesInGrid(world, grid);
      const gsd = groundGsd(grid);
      out.push({
        id: idFor(row, col),
        row,
        col,
        grid,
        rgb,
        mask: maskFromLanes(lanes, l.tile, l.tile, gsd),
        lanes,
        sidecar: makeSidecar(grid, lanes),
      });
    }
  }
  return out;
}
