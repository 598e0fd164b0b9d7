/**
 * Noise fields (full-image Float32Arrays, zero mean, unit standard deviation) that every texture in
 * a scene draws from: value noise and its fractal sums at physical scales, oriented streak noise,
 * and per-pixel grain. Separable index tables keep the inner loops to a few multiply-adds.
 */
import type { Rng } from "../random.js";

/** Add value noise with cells of `cellPx` pixels, scaled by amp, into out. */
export function addValueNoise(
  out: Float32Array,
  w: number,
  h: number,
  cellPx: number,
  amp: number,
  rng: Rng,
): void {
  const cell = Math.max(1, cellPx);
  const ox = rng.range(0, cell);
  const oy = rng.range(0, cell);
  const gw = Math.ceil((w + ox) / cell) + 2;
  const gh = Math.ceil((h + oy) / cell) + 2;
  const grid = new Float32Array(gw * gh);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.next() * 2 - 1;
  const ix = new Int32Array(w);
  const fx = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const g = (x + 0.5 + ox) / cell;
    const i = Math.floor(g);
    const f = g - i;
    ix[x] = i;
    fx[x] = f * f * (3 - 2 * f);
  }
  for (let y = 0; y < h; y++) {
    const g = (y + 0.5 + oy) / cell;
    const j = Math.floor(g);
    let fy = g - j;
    fy = fy * fy * (3 - 2 * fy);
    const r0 = j * gw;
    const r1 = r0 + gw;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = ix[x]!;
      const f = fx[x]!;
      const a = grid[r0 + i]! + (grid[r0 + i + 1]! - grid[r0 + i]!) * f;
      const b = grid[r1 + i]! + (grid[r1 + i + 1]! - grid[r1 + i]!) * f;
      out[row + x] = out[row + x]! + amp * (a + (b - a) * fy);
    }
  }
}

/** Shift and scale a field to zero mean and unit standard deviation. */
export function standardise(field: Float32Array): Float32Array {
  let sum = 0;
  let sum2 = 0;
  for (let i = 0; i < field.length; i++) {
    const v = field[i]!;
    sum += v;
    sum2 += v * v;
  }
  const mean = sum / field.length;
  const std = Math.sqrt(Math.max(1e-12, sum2 / field.length - mean * mean));
  for (let i = 0; i < field.length; i++) field[i] = (field[i]! - mean) / std;
  return field;
}

/**
 * Fractal (fBm) value noise: octaves from cellPx down, each half the size and `gain` the weight.
 * Octaves with cells of 16 px or more are summed on a quarter-resolution grid and upsampled once,
 * which keeps the cost near one full-resolution pass per fine octave.
 */
export function fbm(
  w: number,
  h: number,
  cellPx: number,
  octaves: number,
  gain: number,
  rng: Rng,
  out: Float32Array = new Float32Array(w * h),
): Float32Array {
  const f = 4;
  const cw = Math.ceil(w / f) + 1;
  const ch = Math.ceil(h / f) + 1;
  let coarse: Float32Array | null = null;
  let amp = 1;
  let cell = cellPx;
  for (let o = 0; o < octaves && cell >= 1.5; o++) {
    if (cell >= 16) {
      coarse ??= new Float32Array(cw * ch);
      addValueNoise(coarse, cw, ch, cell / f, amp, rng);
    } else addValueNoise(out, w, h, cell, amp, rng);
    amp *= gain;
    cell /= 2;
  }
  if (coarse) upsampleAdd(out, w, h, coarse, cw, ch, f);
  return standardise(out);
}

/** out += bilinear upsampling of a grid sampled every f pixels (sample X at pixel (X + 0.5) * f). */
function upsampleAdd(
  out: Float32Array,
  w: number,
  h: number,
  src: Float32Array,
  sw: number,
  sh: number,
  f: number,
): void {
  const ix = new Int32Array(w);
  const fx = new Float32Array(w);
  for (let x = 0; x < w; x++) {
    const g = Math.min(sw - 1.001, Math.max(0, (x + 0.5) / f - 0.5));
    ix[x] = Math.floor(g);
    fx[x] = g - Math.floor(g);
  }
  for (let y = 0; y < h; y++) {
    const g = Math.min(sh - 1.001, Math.max(0, (y + 0.5) / f - 0.5));
    const j = Math.floor(g);
    const fy = g - j;
    const r0 = j * sw;
    const r1 = r0 + sw;
    const row = y * w;
    for (let x = 0; x < w; x++) {
      const i = ix[x]!;
      const t = fx[x]!;
      const a = src[r0 + i]! + (src[r0 + i + 1]! - src[r0 + i]!) * t;
      const b = src[r1 + i]! + (src[r1 + i + 1]! - src[r1 + i]!) * t;
      out[row + x] = out[row + x]! + a + (b - a) * fy;
    }
  }
}

/** Per-pixel grain: triangular noise, unit-ish spread. */
export function grain(
  w: number,
  h: number,
  rng: Rng,
  out: Float32Array = new Float32Array(w * h),
): Float32Array {
  for (let i = 0; i < out.length; i++) out[i] = (rng.next() + rng.next() - 1) * 2.45;
  return out;
}

/**
 * Oriented noise: value noise stretched along direction `angle` (streaks such as tyre polish,
 * ploughed fields, brushed concrete). cellAlong and cellAcross in pixels.
 */
export function streakNoise(
  w: number,
  h: number,
  angle: number,
  cellAlong: number,
  cellAcross: number,
  rng: Rng,
): Float32Array {
  const out = new Float32Array(w * h);
  const c = Math.cos(angle);
  const s = Math.sin(angle);
  const diag = Math.hypot(w, h);
  const gu = Math.ceil(diag / cellAlong) + 3;
  const gv = Math.ceil(diag / cellAcross) + 3;
  const grid = new Float32Array(gu * gv);
  for (let i = 0; i < grid.length; i++) grid[i] = rng.next() * 2 - 1;
  const cx = w / 2;
  const cy = h / 2;
  const half = diag / 2;
  for (let y = 0; y < h; y++) {
    const dy = y + 0.5 - cy;
    for (let x = 0; x < w; x++) {
      const dx = x + 0.5 - cx;
      const u = (dx * c + dy * s + half) / cellAlong;
      const v = (-dx * s + dy * c + half) / cellAcross;
      const i = u | 0;
      const j = v | 0;
      let fu = u - i;
      let fv = v - j;
      fu = fu * fu * (3 - 2 * fu);
      fv = fv * fv * (3 - 2 * fv);
      const r0 = j * gu + i;
      const r1 = r0 + gu;
      const a = grid[r0]! + (grid[r0 + 1]! - grid[r0]!) * fu;
      const b = grid[r1]! + (grid[r1 + 1]! - grid[r1]!) * fu;
      out[y * w + x] = a + (b - a) * fv;
    }
  }
  return standardise(out);
}

/** Value noise sampled at one point from a hashed lattice: for cheap 1-D wobble along lines. */
export function noise1d(values: Float32Array, t: number): number {
  const n = values.length;
  const i = Math.floor(t);
  let f = t - i;
  f = f * f * (3 - 2 * f);
  const a = values[((i % n) + n) % n]!;
  const b = values[(((i + 1) % n) + n) % n]!;
  return a + (b - a) * f;
}

export function randomValues(n: number, rng: Rng): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.next() * 2 - 1;
  return out;
}
