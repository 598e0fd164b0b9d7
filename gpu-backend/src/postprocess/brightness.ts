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

/** How strongly a pixel shows paint of a colour: luma for white, yellowness for yellow (0-1). */
type Channel = (rgb: Uint8Array, q: number) => number;

// Rec. 601 luma: white paint is the brightest thing on a road.
const luma: Channel = (rgb, q) => (0.299 * rgb[q]! + 0.587 * rgb[q + 1]! + 0.114 * rgb[q + 2]!) / 255;
// Yellow paint on light concrete is barely brighter than the road, but far more yellow: grey
// surfaces have r ≈ g ≈ b, so (r + g) / 2 - b is about 0 on them.
const yellowness: Channel = (rgb, q) => Math.max(0, (rgb[q]! + rgb[q + 1]!) / 2 - rgb[q + 2]!) / 255;

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
    const channel = laneClassById(classId).colour === "yellow" ? yellowness : luma;
    let paint = Number.NEGATIVE_INFINITY;
    for (let k = -2; k <= 2; k++) {
      const o = (k / 2) * this.#paintHalfPx;
      paint = Math.max(paint, this.#at(channel, x + o * nx, y + o * ny));
    }
    const r = this.#roadPx;
    const road = (this.#at(channel, x + r * nx, y + r * ny) + this.#at(channel, x - r * nx, y - r * ny)) / 2;
    return paint - road;
  }

  /** Bilinear value at a continuous position (pixel centres at i + 0.5), clamped to the raster. */
  #at(channel: Channel, x: number, y: number): number {
    const w = this.width;
    const fx = Math.min(Math.max(x - 0.5, 0), w - 1);
    const fy = Math.min(Math.max(y - 0.5, 0), this.height - 1);
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    const x1 = Math.min(x0 + 1, w - 1);
    const y1 = Math.min(y0 + 1, this.height - 1);
    const tx = fx - x0;
    const ty = fy - y0;
    const v = (xx: number, yy: number) => channel(this.#rgb, (yy * w + xx) * 3);
    const top = v(x0, y0) * (1 - tx) + v(x1, y0) * tx;
    const bottom = v(x0, y1) * (1 - tx) + v(x1, y1) * tx;
    return top * (1 - ty) + bottom * ty;
  }
}
