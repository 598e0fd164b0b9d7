/**
 * Brightness of the analysed imagery along a line, for dash statistics (dashes.ts).
 *
 * Why the imagery and not the model: the label rule paints a dashed line continuously, gaps
 * included (DATA.md), so a model trained on it learns high probability through the gaps too and
 * its profile shows dashes only where it happens to be unsure. Paint, white or yellow, is brighter
 * than the road under it in any aerial photograph, so the brightness along the centreline shows
 * each dash and each gap as they are painted.
 */
import { laneClassById } from "@lanesegnet/shared";
import type { RgbRaster } from "../runtime/segment.js";
import type { ProfileSampler } from "./profile.js";

export class BrightnessSampler implements ProfileSampler {
  /** Half the paint window across the line, and the distance of the road samples beside it, px. */
  readonly #paintHalfPx: number;
  readonly #roadPx: number;
  /** Per pixel: luma (white paint shows in it), then yellowness (yellow paint shows in it). */
  readonly #luma: Float32Array;
  readonly #yellow: Float32Array;
  readonly width: number;
  readonly height: number;

  constructor(image: RgbRaster, gsdM: number) {
    const { width, height, rgb } = image;
    // Paint is at most ~0.3 m wide on a single line, and a traced centreline can be a pixel off it:
    // the paint window reaches max(1 px, 0.15 m) to each side; the road is read 0.5 m (at least
    // 3 px) beyond the centre, on both sides, clear of the paint and short of the next lane line.
    this.#paintHalfPx = Math.max(1, 0.15 / gsdM);
    this.#roadPx = Math.max(3, 0.5 / gsdM);
    if (rgb.length !== width * height * 3) {
      throw new RangeError(`the image has ${rgb.length} bytes, expected ${width} x ${height} x 3`);
    }
    this.width = width;
    this.height = height;
    const luma = new Float32Array(width * height);
    const yellow = new Float32Array(width * height);
    for (let p = 0, q = 0; p < luma.length; p++, q += 3) {
      const r = rgb[q]!;
      const g = rgb[q + 1]!;
      const b = rgb[q + 2]!;
      luma[p] = (0.299 * r + 0.587 * g + 0.114 * b) / 255;
      // Yellow paint on light concrete is barely brighter than the road, but far more yellow:
      // grey surfaces have r ≈ g ≈ b, so (r + g) / 2 - b is about 0 on them.
      yellow[p] = Math.max(0, (r + g) / 2 - b) / 255;
    }
    this.#luma = luma;
    this.#yellow = yellow;
  }

  /**
   * How much the paint stands out at (x, y): the brightest of five samples across the paint
   * window minus the mean of the road beside it. Subtracting the road removes what varies slowly
   * along a line (shadows, worn or patched surface, a change of pavement); taking the brightest
   * sample keeps a sub-pixel line whose trace lies a pixel off its paint.
   */
  across(classId: number, x: number, y: number, nx: number, ny: number): number {
    const plane = laneClassById(classId).colour === "yellow" ? this.#yellow : this.#luma;
    let paint = Number.NEGATIVE_INFINITY;
    for (let k = -2; k <= 2; k++) {
      const o = (k / 2) * this.#paintHalfPx;
      paint = Math.max(paint, this.#at(plane, x + o * nx, y + o * ny));
    }
    const r = this.#roadPx;
    const road = (this.#at(plane, x + r * nx, y + r * ny) + this.#at(plane, x - r * nx, y - r * ny)) / 2;
    return paint - road;
  }

  /** Bilinear value at a continuous position (pixel centres at i + 0.5), clamped to the raster. */
  #at(l: Float32Array, x: number, y: number): number {
    const fx = Math.min(Math.max(x - 0.5, 0), this.width - 1);
    const fy = Math.min(Math.max(y - 0.5, 0), this.height - 1);
    const x0 = Math.min(Math.floor(fx), this.width - 2);
    const y0 = Math.min(Math.floor(fy), this.height - 2);
    if (x0 < 0 || y0 < 0) return l[Math.floor(fy) * this.width + Math.floor(fx)]!;
    const tx = fx - x0;
    const ty = fy - y0;
    const i = y0 * this.width + x0;
    const top = l[i]! * (1 - tx) + l[i + 1]! * tx;
    const bottom = l[i + this.width]! * (1 - tx) + l[i + this.width + 1]! * tx;
    return top * (1 - ty) + bottom * ty;
  }
}
