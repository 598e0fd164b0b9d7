/**
 * Everything a layer needs to draw: the canvas, one reusable coverage raster, the scale from metres
 * to pixels, the scene's shared noise fields and its look. Layers build polygons in metres and call
 * the fill helpers here.
 */
import type { Look } from "../appearance/look.js";
import { fbm, grain } from "../appearance/noise.js";
import type { Pt } from "../geometry/polyline.js";
import type { Rng } from "../random.js";
import { Canvas, compositeMultiply, compositePaint, type Paint } from "./canvas.js";
import { CoverageRaster } from "./raster.js";
import { scratch } from "./scratch.js";

export interface Fields {
  /** Landscape scale (~40 m). */
  lo: Float32Array;
  /** Neighbourhood scale (~12 m). */
  lo2: Float32Array;
  /** Surface scale (~2.5 m). */
  mid: Float32Array;
  /** Fine scale (~0.5 m, never below 1.5 px). */
  fine: Float32Array;
  /** Per-pixel grain. */
  grain: Float32Array;
}

export interface RenderContext {
  canvas: Canvas;
  raster: CoverageRaster;
  /** Pixels per metre. */
  k: number;
  gsd: number;
  widthM: number;
  heightM: number;
  fields: Fields;
  look: Look;
  rng: Rng;
  /** Direction of the scene's main road (radians): fields and blocks align with it. */
  mainAngle: number;
}

export function createContext(
  width: number,
  height: number,
  gsd: number,
  look: Look,
  rng: Rng,
): RenderContext {
  const fr = rng.fork("fields");
  const k = 1 / gsd;
  const n = width * height;
  const fields: Fields = {
    lo: fbm(width, height, 40 * k, 3, 0.5, fr, scratch("lo", n, true)),
    lo2: fbm(width, height, 12 * k, 2, 0.5, fr, scratch("lo2", n, true)),
    mid: fbm(width, height, 2.5 * k, 3, 0.55, fr, scratch("mid", n, true)),
    fine: fbm(width, height, Math.max(1.5, 0.5 * k), 2, 0.5, fr, scratch("fine", n, true)),
    grain: grain(width, height, fr, scratch("grain", n, false)),
  };
  return {
    // paintGround writes every canvas pixel first, so stale contents do not matter.
    canvas: new Canvas(width, height, scratch("canvas", n * 3, false)),
    raster: rasterFor(width, height),
    k,
    gsd,
    widthM: width * gsd,
    heightM: height * gsd,
    fields,
    look,
    rng,
    mainAngle: 0,
  };
}

let lastRaster: CoverageRaster | null = null;

/** The raster of the previous scene when the size matches: it is all zero again after clear(). */
function rasterFor(width: number, height: number): CoverageRaster {
  if (!lastRaster || lastRaster.width !== width || lastRaster.height !== height)
    lastRaster = new CoverageRaster(width, height);
  return lastRaster;
}

/** Fill flat pixel rings (one polygon, any number of rings) with a paint. */
export function fillRings(ctx: RenderContext, rings: readonly ArrayLike<number>[], paint: Paint): void {
  const r = ctx.raster;
  for (const ring of rings) r.addRing(ring);
  if (r.resolve()) compositePaint(ctx.canvas, r, paint);
  r.clear();
}

/** Fill a polygon given in metres. */
export function fillPolygonM(ctx: RenderContext, points: readonly Pt[], paint: Paint): void {
  const r = ctx.raster;
  r.addPoints(points, ctx.k);
  if (r.resolve()) compositePaint(ctx.canvas, r, paint);
  r.clear();
}

/** Darken a polygon (metres) as a shadow with a sky-blue tint. */
export function shadePolygonM(
  ctx: RenderContext,
  rings: readonly (readonly Pt[])[],
  light: number,
  softField?: Float32Array,
): void {
  const r = ctx.raster;
  for (const ring of rings) r.addPoints(ring, ctx.k);
  if (r.resolve()) {
    compositeMultiply(
      ctx.canvas,
      r,
      Math.min(1, light * 0.96),
      Math.min(1, light * 0.99),
      Math.min(1, light * 1.07),
      softField,
      softField ? 0.15 : 0,
    );
  }
  r.clear();
}

/** Is a metre-space box anywhere near the canvas? (cheap culling) */
export function boxVisible(
  ctx: RenderContext,
  minX: number,
  minY: number,
  maxX: number,
  maxY: number,
): boolean {
  return maxX >= -2 && maxY >= -2 && minX <= ctx.widthM + 2 && minY <= ctx.heightM + 2;
}
