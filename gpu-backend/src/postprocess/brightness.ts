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

/**
 * Reads the RGB raster where a profile needs it (a few thousand pixels per line), never the whole
 * raster: an 8-Mpx analysis with no dashed line costs nothing here.
 */
export class BrightnessSampler implements ProfileSampler {
  /** Half the paint window across the line, and the distance of the road samples beside it, px. */
  readonly #paintHalfPx: number;
  readonly #roadPx: number;
  readonly #rgb: Uint8Array;
  readonly width: number;
  readonly height: number;

  constructor(image: RgbRaster, gsdM: number) {
    const { width, height, rgb } = image;
    if (rgb.length !== width * height * 3) {
      throw new RangeError(`the image has ${rgb.length} bytes, expected ${width} x ${height} x 3`);
    }
    // Paint is at most ~0.3 m wide on a single line, and a traced centreline can be a pixel off it:
    // the paint window reaches max(1 px, 0.15 m) to each side; the road is read 0.5 m (at least
    // 3 px) beyond the centre, on both sides, clear of the paint and short of the next lane line.
    this.#paintHalfPx = Math.max(1, 0.15 / gsdM);
    this.#roadPx = Math.max(3, 0.5 / gsdM);
    this.#rgb = rgb;
    this.width = width;
    this.height = height;
  }

  /**
   * How much the paint stands out at (x, y): the brightest of five samples across the paint
   * window minus the mean of the road beside it. Subtracting the road removes what varies slowly
   * along a line (shadows, worn or patched surface, a change of pavement); taking the brightest
   * sample keeps a sub-pixel line whose trace lies a pixel off its paint.
   */
  across(classId: number, x: number, y: number, nx: number, ny: number): number {
    const yellow = laneClassById(classId).colour === "yellow";
    let paint = Number.NEGATIVE_INFINITY;
    for (let k = -2; k <= 2; k++) {
      const o = (k / 2) * this.#paintHalfPx;
      paint = Math.max(paint, this.#at(yellow, x + o * nx, y + o * ny));
    }
    const r = this.#roadPx;
    const road = (this.#at(yellow, x + r * nx, y + r * ny) + this.#at(yellow, x - r * nx, y - r * ny)) / 2;
    return paint - road;
  }

  /** Bilinear value at a continuous position (pixel centres at i + 0.5), clamped to the raster. */
  #at(yellow: boolean, x: number, y: number): number {
    const w = this.width;
    const fx = Math.min(Math.max(x - 0.5, 0), w - 1);
    const fy = Math.min(Math.max(y - 0.5, 0), this.height - 1);
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    const dx = x0 + 1 < w ? 3 : 0;
    const dy = y0 + 1 < this.height ? 3 * w : 0;
    const tx = fx - x0;
    const ty = fy - y0;
    const q = (y0 * w + x0) * 3;
    const top = this.#value(yellow, q) * (1 - tx) + this.#value(yellow, q + dx) * tx;
    const bottom = this.#value(yellow, q + dy) * (1 - tx) + this.#value(yellow, q + dy + dx) * tx;
    return top * (1 - ty) + bottom * ty;
  }

  /**
   * How strongly the pixel at byte offset q shows paint: Rec. 601 luma for white paint (the
   * brightest thing on a road); for yellow, yellowness, (r + g) / 2 - b, about 0 on grey surfaces,
   * since yellow paint on light concrete is barely brighter than the road but far more yellow.
   */
  #value(yellow: boolean, q: number): number {
    const rgb = this.#rgb;
    const r = rgb[q]!;
    const g = rgb[q + 1]!;
    const b = rgb[q + 2]!;
    return yellow ? Math.max(0, (r + g) / 2 - b) / 255 : (0.299 * r + 0.587 * g + 0.114 * b) / 255;
  }
}
