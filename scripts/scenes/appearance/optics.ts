/**
 * The camera: exposure, gamma, contrast, saturation and white balance; atmospheric haze; defocus
 * (Gaussian) and motion blur; vignetting; signal-dependent sensor noise with chroma noise. JPEG
 * compression is applied when the image is encoded.
 */

import type { Rng } from "../random.js";
import type { Canvas } from "../render/canvas.js";
import { scratch } from "../render/scratch.js";
import type { Optics } from "./look.js";

export function applyOptics(canvas: Canvas, o: Optics, lowField: Float32Array, rng: Rng): void {
  grade(canvas, o, lowField);
  if (o.blurSigmaPx >= 0.3) gaussianBlur(canvas, o.blurSigmaPx);
  if (o.motionPx >= 0.8) motionBlur(canvas, o.motionPx, o.motionAngle);
  if (o.sharpen > 0) unsharp(canvas, o.sharpen, o.sharpenSigmaPx);
  if (o.noiseSigma > 0 || o.chromaNoise > 0) addNoise(canvas, o.noiseSigma, o.chromaNoise, rng);
}

function grade(canvas: Canvas, o: Optics, low: Float32Array): void {
  const d = canvas.data;
  const w = canvas.width;
  const h = canvas.height;
  const lut = new Float32Array(1024);
  // Tone curve on 0..255 sampled at quarter steps: gamma then contrast about mid grey.
  for (let i = 0; i < 1024; i++) {
    const v = i / 4 / 255;
    const g = v ** o.gamma;
    lut[i] = ((g - 0.5) * o.contrast + 0.5) * 255;
  }
  const [wr, wg, wb] = o.whiteBalance;
  const [hr, hg, hb] = o.hazeColour;
  const cx = w / 2;
  const cy = h / 2;
  const rmax2 = cx * cx + cy * cy;
  for (let y = 0; y < h; y++) {
    const dy = y - cy;
    for (let x = 0; x < w; x++) {
      const i = y * w + x;
      const j = i * 3;
      let r = d[j]! * o.gain * wr;
      let g = d[j + 1]! * o.gain * wg;
      let b = d[j + 2]! * o.gain * wb;
      r = tone(lut, r);
      g = tone(lut, g);
      b = tone(lut, b);
      const lum = 0.299 * r + 0.587 * g + 0.114 * b;
      r = lum + (r - lum) * o.saturation;
      g = lum + (g - lum) * o.saturation;
      b = lum + (b - lum) * o.saturation;
      if (o.haze > 0) {
        const hz = Math.min(0.6, Math.max(0, o.haze * (1 + 0.4 * low[i]!)));
        r += (hr - r) * hz;
        g += (hg - g) * hz;
        b += (hb - b) * hz;
      }
      if (o.vignette > 0) {
        const dx = x - cx;
        const f = 1 - (o.vignette * (dx * dx + dy * dy)) / rmax2;
        r *= f;
        g *= f;
        b *= f;
      }
      d[j] = r;
      d[j + 1] = g;
      d[j + 2] = b;
    }
  }
}

function tone(lut: Float32Array, v: number): number {
  const t = v * 4;
  if (t <= 0) return lut[0]!;
  if (t >= 1023) return lut[1023]! + (v - 255.75) * (lut[1023]! - lut[1022]!) * 4;
  const i = t | 0;
  const f = t - i;
  return lut[i]! + (lut[i + 1]! - lut[i]!) * f;
}

/** Separable Gaussian blur of an interleaved RGB float canvas (edges clamped). */
export function gaussianBlur(canvas: Canvas, sigma: number): void {
  const radius = Math.max(1, Math.ceil(sigma * 2.2));
  const kernel = new Float32Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    kernel[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < kernel.length; i++) kernel[i] = kernel[i]! / sum;
  const { width: w, height: h, data } = canvas;
  const tmp = scratch("blur", data.length, false);
  blurPass(data, tmp, w, h, 3, w * 3, kernel, radius);
  blurPass(tmp, data, h, w, w * 3, 3, kernel, radius);
}

/**
 * One 1-D pass over `n` lines of `len` samples: element (line, i) of channel c is at
 * line * lineStride + i * step + c. Edges clamp.
 */
function blurPass(
  src: Float32Array,
  dst: Float32Array,
  len: number,
  n: number,
  step: number,
  lineStride: number,
  kernel: Float32Array,
  radius: number,
): void {
  for (let line = 0; line < n; line++) {
    const base = line * lineStride;
    for (let i = 0; i < len; i++) {
      let r = 0;
      let g = 0;
      let b = 0;
      if (i >= radius && i < len - radius) {
        let j = base + (i - radius) * step;
        for (let k = 0; k < kernel.length; k++, j += step) {
          const wk = kernel[k]!;
          r += src[j]! * wk;
          g += src[j + 1]! * wk;
          b += src[j + 2]! * wk;
        }
      } else {
        for (let k = -radius; k <= radius; k++) {
          const ii = i + k < 0 ? 0 : i + k >= len ? len - 1 : i + k;
          const j = base + ii * step;
          const wk = kernel[k + radius]!;
          r += src[j]! * wk;
          g += src[j + 1]! * wk;
          b += src[j + 2]! * wk;
        }
      }
      const o = base + i * step;
      dst[o] = r;
      dst[o + 1] = g;
      dst[o + 2] = b;
    }
  }
}

/** Unsharp masking as satellite and aerial providers apply it: halos beside every edge. */
function unsharp(canvas: Canvas, amount: number, sigma: number): void {
  const orig = scratch("unsharp", canvas.data.length, false);
  orig.set(canvas.data);
  gaussianBlur(canvas, sigma);
  const d = canvas.data;
  for (let i = 0; i < d.length; i++) d[i] = orig[i]! + amount * (orig[i]! - d[i]!);
}

/** Linear motion blur: average of bilinear samples along a direction. */
function motionBlur(canvas: Canvas, lengthPx: number, angle: number): void {
  const { width: w, height: h, data } = canvas;
  const src = scratch("motion", data.length, false);
  src.set(data);
  const taps = Math.ceil(lengthPx) + 1;
  const dx = Math.cos(angle);
  const dy = Math.sin(angle);
  data.fill(0);
  for (let t = 0; t < taps; t++) {
    const off = (t / (taps - 1) - 0.5) * lengthPx;
    const ox = dx * off;
    const oy = dy * off;
    const ix = Math.floor(ox);
    const iy = Math.floor(oy);
    const fx = ox - ix;
    const fy = oy - iy;
    const w00 = ((1 - fx) * (1 - fy)) / taps;
    const w10 = (fx * (1 - fy)) / taps;
    const w01 = ((1 - fx) * fy) / taps;
    const w11 = (fx * fy) / taps;
    for (let y = 0; y < h; y++) {
      const y0 = Math.min(h - 1, Math.max(0, y + iy));
      const y1 = Math.min(h - 1, Math.max(0, y + iy + 1));
      for (let x = 0; x < w; x++) {
        const x0 = Math.min(w - 1, Math.max(0, x + ix));
        const x1 = Math.min(w - 1, Math.max(0, x + ix + 1));
        const a = (y0 * w + x0) * 3;
        const b = (y0 * w + x1) * 3;
        const c = (y1 * w + x0) * 3;
        const e = (y1 * w + x1) * 3;
        const o = (y * w + x) * 3;
        for (let ch = 0; ch < 3; ch++) {
          data[o + ch] =
            data[o + ch]! + src[a + ch]! * w00 + src[b + ch]! * w10 + src[c + ch]! * w01 + src[e + ch]! * w11;
        }
      }
    }
  }
}

const GAUSS = (() => {
  // Inverse-CDF table of the standard normal: cheap, reproducible Gaussian samples.
  const n = 4096;
  const t = new Float32Array(n);
  for (let i = 0; i < n; i++) t[i] = inverseNormal((i + 0.5) / n);
  return t;
})();

function inverseNormal(p: number): number {
  // Acklam's rational approximation.
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716,
    2.506628277459239,
  ];
  const b = [
    -54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572,
  ];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - pl) return -inverseNormal(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

function addNoise(canvas: Canvas, sigma: number, chroma: number, rng: Rng): void {
  const d = canvas.data;
  const n = canvas.width * canvas.height;
  for (let i = 0; i < n; i++) {
    const j = i * 3;
    const lum = 0.299 * d[j]! + 0.587 * d[j + 1]! + 0.114 * d[j + 2]!;
    // Shot noise grows with signal; read noise floor keeps shadows noisy too.
    const s = sigma * (0.5 + 0.5 * Math.sqrt(Math.max(0, lum) / 128));
    const nL = GAUSS[rng.nextU32() & 4095]! * s;
    const u = rng.nextU32();
    d[j] = d[j]! + nL + GAUSS[u & 4095]! * chroma;
    d[j + 1] = d[j + 1]! + nL + GAUSS[(u >>> 12) & 4095]! * chroma * 0.7;
    d[j + 2] = d[j + 2]! + nL + GAUSS[(u >>> 20) & 4095]! * chroma;
  }
}
