/**
 * A coarse (1 m) occupancy grid of the scene: pavements, lots, islands and placed objects, so
 * buildings and trees go where there is no road and do not overlap each other.
 */
import type { RoadNetwork } from "../geometry/network.js";
import { orientedRect, type Pt } from "../geometry/polyline.js";
import { CoverageRaster } from "../render/raster.js";
import { discRing } from "../render/stroke.js";
import { pathBand } from "./surface.js";

export class Occupancy {
  readonly cell: number;
  readonly cols: number;
  readonly rows: number;
  readonly grid: Uint8Array;
  private readonly raster: CoverageRaster;

  constructor(widthM: number, heightM: number, cell = 1) {
    this.cell = cell;
    this.cols = Math.ceil(widthM / cell);
    this.rows = Math.ceil(heightM / cell);
    this.grid = new Uint8Array(this.cols * this.rows);
    this.raster = new CoverageRaster(this.cols, this.rows);
  }

  /** Mark the cells a polygon (metres, flat or points) touches. */
  markRing(flatMetres: ArrayLike<number>, value = 1): void {
    const r = this.raster;
    const k = 1 / this.cell;
    const scaled = new Float64Array(flatMetres.length);
    for (let i = 0; i < flatMetres.length; i++) scaled[i] = flatMetres[i]! * k;
    r.addRing(scaled);
    if (r.resolve()) {
      for (let y = r.yMin; y <= r.yMax; y++) {
        for (let x = r.spanStart[y]!; x < r.spanEnd[y]!; x++) {
          const i = y * this.cols + x;
          if (r.cov[i]! > 0.05) this.grid[i] = Math.max(this.grid[i]!, value);
        }
      }
    }
    r.clear();
  }

  markPoints(points: readonly Pt[], value = 1): void {
    this.markRing(
      points.flatMap((p) => [p[0], p[1]]),
      value,
    );
  }

  at(x: number, y: number): number {
    const cx = Math.floor(x / this.cell);
    const cy = Math.floor(y / this.cell);
    if (cx < 0 || cy < 0 || cx >= this.cols || cy >= this.rows) return 0;
    return this.grid[cy * this.cols + cx]!;
  }

  /** True when no sampled point of the oriented rectangle is occupied. */
  rectFree(cx: number, cy: number, ux: number, uy: number, halfLen: number, halfWid: number): boolean {
    const vx = -uy;
    const vy = ux;
    const step = this.cell * 0.9;
    for (let a = -halfLen; a <= halfLen + 1e-9; a += step) {
      for (let b = -halfWid; b <= halfWid + 1e-9; b += step) {
        if (this.at(cx + ux * a + vx * b, cy + uy * a + vy * b) > 0) return false;
      }
    }
    return true;
  }

  markRect(
    cx: number,
    cy: number,
    ux: number,
    uy: number,
    halfLen: number,
    halfWid: number,
    value = 2,
  ): void {
    this.markPoints(orientedRect(cx, cy, ux, uy, halfLen, halfWid), value);
  }
}

/** Occupancy of all pavements (with sidewalks) of a network. */
export function networkOccupancy(widthM: number, heightM: number, net: RoadNetwork): Occupancy {
  const occ = new Occupancy(widthM, heightM);
  for (const road of net.roads) {
    const L = road.path.length;
    const extra = (side: -1 | 1) => {
      const sw = road.sidewalks.find((s) => s.side === side);
      return sw ? sw.verge + sw.width + 0.5 : 0.5;
    };
    const el = extra(-1);
    const er = extra(1);
    occ.markRing(
      pathBand(
        road.path,
        0,
        L,
        (s) => road.surfaceLeft(s) - el,
        (s) => road.surfaceRight(s) + er,
        1,
        2,
      ),
    );
  }
  for (const lot of net.lots)
    occ.markPoints(orientedRect(lot.cx, lot.cy, lot.ux, lot.uy, lot.halfLen + 1, lot.halfWid + 1));
  for (const isl of net.islands) occ.markRing(discRing(isl.cx, isl.cy, isl.r + 1, 1, 32));
  return occ;
}
