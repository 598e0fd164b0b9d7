/**
 * A floating-point RGB canvas (0..255 per channel, interleaved) and the compositing operations the
 * scene layers use. Every operation reads the coverage of the polygon just rasterised, so edges are
 * anti-aliased and sub-pixel features blend in proportionally.
 */
import type { CoverageRaster } from "./raster.js";

export class Canvas {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;

  constructor(width: number, height: number, data?: Float32Array) {
    this.width = width;
    this.height = height;
    if (data && data.length !== width * height * 3) throw new RangeError("canvas buffer has the wrong size");
    this.data = data ?? new Float32Array(width * height * 3);
  }

  fill(r: number, g: number, b: number): void {
    const d = this.data;
    for (let i = 0; i < d.length; i += 3) {
      d[i] = r;
      d[i + 1] = g;
      d[i + 2] = b;
    }
  }

  /** Clamp and round to 8-bit RGB. */
  toUint8(): Uint8Array {
    const d = this.data;
    const out = new Uint8Array(d.length);
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      out[i] = v <= 0 ? 0 : v >= 255 ? 255 : (v + 0.5) | 0;
    }
    return out;
  }
}

/** How to colour covered pixels. Fields are full-canvas Float32Arrays of roughly unit amplitude. */
export interface Paint {
  r: number;
  g: number;
  b: number;
  /** Overall opacity (default 1). */
  alpha?: number;
  /** Colour multiplier 1 + texAmp * tex[i]. */
  tex?: Float32Array;
  texAmp?: number;
  /** Second multiplicative texture (e.g. a coarser scale). */
  tex2?: Float32Array;
  tex2Amp?: number;
  /** Additive grain (same for all channels): + grainAmp * grain[i]. */
  grain?: Float32Array;
  grainAmp?: number;
  /** Opacity multiplier clamp(alphaBias + alphaAmp * alphaField[i], 0, 1) (wear, patchiness). */
  alphaField?: Float32Array;
  alphaBias?: number;
  alphaAmp?: number;
}

/** Composite `paint` over the canvas through the raster's coverage. */
export function compositePaint(canvas: Canvas, raster: CoverageRaster, paint: Paint): void {
  const d = canvas.data;
  const cov = raster.cov;
  const w = canvas.width;
  const alpha = paint.alpha ?? 1;
  const tex = paint.tex;
  const texAmp = paint.texAmp ?? 0;
  const tex2 = paint.tex2;
  const tex2Amp = paint.tex2Amp ?? 0;
  const grain = paint.grain;
  const grainAmp = paint.grainAmp ?? 0;
  const af = paint.alphaField;
  const aBias = paint.alphaBias ?? 1;
  const aAmp = paint.alphaAmp ?? 0;
  const { r, g, b } = paint;
  for (let y = raster.yMin; y <= raster.yMax; y++) {
    const x1 = raster.spanEnd[y]!;
    for (let x = raster.spanStart[y]!; x < x1; x++) {
      const i = y * w + x;
      let a = cov[i]!;
      if (a === 0) continue;
      a *= alpha;
      if (af) {
        let m = aBias + aAmp * af[i]!;
        m = m < 0 ? 0 : Math.min(m, 1);
        a *= m;
        if (a === 0) continue;
      }
      let k = 1;
      if (tex) k += texAmp * tex[i]!;
      if (tex2) k *= 1 + tex2Amp * tex2[i]!;
      const add = grain ? grainAmp * grain[i]! : 0;
      const j = i * 3;
      d[j] = d[j]! + (r * k + add - d[j]!) * a;
      d[j + 1] = d[j + 1]! + (g * k + add - d[j + 1]!) * a;
      d[j + 2] = d[j + 2]! + (b * k + add - d[j + 2]!) * a;
    }
  }
}

/**
 * Multiply covered pixels by a per-channel factor (shadows: factor < 1, tinted towards blue
 * skylight), blended by coverage.
 */
export function compositeMultiply(
  canvas: Canvas,
  raster: CoverageRaster,
  fr: number,
  fg: number,
  fb: number,
  alphaField?: Float32Array,
  alphaAmp = 0,
): void {
  const d = canvas.data;
  const cov = raster.cov;
  const w = canvas.width;
  for (let y = raster.yMin; y <= raster.yMax; y++) {
    const x1 = raster.spanEnd[y]!;
    for (let x = raster.spanStart[y]!; x < x1; x++) {
      const i = y * w + x;
      let a = cov[i]!;
      if (a === 0) continue;
      if (alphaField) {
        let m = 1 + alphaAmp * alphaField[i]!;
        m = m < 0 ? 0 : Math.min(m, 1);
        a *= m;
      }
      const j = i * 3;
      d[j] = d[j]! * (1 - a * (1 - fr));
      d[j + 1] = d[j + 1]! * (1 - a * (1 - fg));
      d[j + 2] = d[j + 2]! * (1 - a * (1 - fb));
    }
  }
}

/** Add a constant (brighten or darken) through the coverage: used for sheen and stains. */
export function compositeAdd(
  canvas: Canvas,
  raster: CoverageRaster,
  dr: number,
  dg: number,
  db: number,
): void {
  const d = canvas.data;
  const cov = raster.cov;
  const w = canvas.width;
  for (let y = raster.yMin; y <= raster.yMax; y++) {
    const x1 = raster.spanEnd[y]!;
    for (let x = raster.spanStart[y]!; x < x1; x++) {
      const i = y * w + x;
      const a = cov[i]!;
      if (a === 0) continue;
      const j = i * 3;
      d[j] = d[j]! + dr * a;
      d[j + 1] = d[j + 1]! + dg * a;
      d[j + 2] = d[j + 2]! + db * a;
    }
  }
}

/** Accumulate coverage into a single-channel occupancy/alpha buffer (max). */
export function accumulateMax(target: Float32Array, raster: CoverageRaster, value = 1): void {
  const cov = raster.cov;
  const w = raster.width;
  for (let y = raster.yMin; y <= raster.yMax; y++) {
    const x1 = raster.spanEnd[y]!;
    for (let x = raster.spanStart[y]!; x < x1; x++) {
      const i = y * w + x;
      const a = cov[i]! * value;
      if (a > target[i]!) target[i] = a;
    }
  }
}
