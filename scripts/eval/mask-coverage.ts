/**
 * How much of the painted length the model's own output covers: the share of the true lines'
 * painted intervals (solid runs and dashes, not the gaps between dashes) that have a pixel the
 * model labelled as any marking within the tolerance. Lines can only lie on paint the model does
 * not label where they bridge over it, so this is close to a ceiling for them. `npm run
 * eval:vectors` prints it beside the same share measured on the backend's lines (drawn into a
 * raster by `rasteriseLines`): the difference is what vectorisation and its filters lose.
 */
import type { SceneLane } from "../scenes/scene.js";

export interface PaintCoverage {
  /** Painted length inside the raster, metres. */
  readonly paintedM: number;
  /** Of it, with a marking pixel within the tolerance, metres. */
  readonly coveredM: number;
}

/** Sampling step along a line, pixels. */
const STEP_PX = 0.25;

/**
 * @param lanes true lines in the raster's pixel coordinates (pixel centres at i + 0.5)
 * @param labels the model's class per pixel, row-major (0 = background)
 */
export function paintCoverage(
  lanes: readonly SceneLane[],
  labels: Uint8Array,
  width: number,
  height: number,
  gsdM: number,
  toleranceM = 0.5,
): PaintCoverage {
  if (labels.length !== width * height) throw new RangeError("labels do not match the raster size");
  const near = dilate(labels, width, height, toleranceM / gsdM);
  let painted = 0;
  let covered = 0;
  for (const lane of lanes) {
    let s = 0;
    for (let i = 1; i < lane.points.length; i++) {
      const [ax, ay] = lane.points[i - 1]!;
      const [bx, by] = lane.points[i]!;
      const len = Math.hypot(bx - ax, by - ay);
      const n = Math.ceil(len / STEP_PX);
      for (let k = 0; k < n; k++) {
        const t = (k + 0.5) / n;
        const x = ax + (bx - ax) * t;
        const y = ay + (by - ay) * t;
        if (x < 0 || y < 0 || x >= width || y >= height) continue;
        const m = (s + len * t) * gsdM;
        if (!lane.painted.some(([a, b]) => m >= a && m <= b)) continue;
        const stepM = (len / n) * gsdM;
        painted += stepM;
        if (near[Math.floor(y) * width + Math.floor(x)]) covered += stepM;
      }
      s += len;
    }
  }
  return { paintedM: painted, coveredM: covered };
}

/** Pixels whose centre lies within `radiusPx` of a labelled pixel's centre. */
function dilate(labels: Uint8Array, width: number, height: number, radiusPx: number): Uint8Array {
  const out = new Uint8Array(labels.length);
  const r = Math.floor(radiusPx);
  const offsets: [number, number][] = [];
  for (let dy = -r; dy <= r; dy++)
    for (let dx = -r; dx <= r; dx++) if (dx * dx + dy * dy <= radiusPx * radiusPx) offsets.push([dx, dy]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (labels[y * width + x] === 0) continue;
      for (const [dx, dy] of offsets) {
        const nx = x + dx;
        const ny = y + dy;
        if (nx >= 0 && ny >= 0 && nx < width && ny < height) out[ny * width + nx] = 1;
      }
    }
  }
  return out;
}

/** Lines (pixel coordinates) drawn one pixel wide into a raster, to score them like a mask. */
export function rasteriseLines(
  lines: readonly (readonly (readonly [number, number])[])[],
  width: number,
  height: number,
): Uint8Array {
  const out = new Uint8Array(width * height);
  for (const pts of lines) {
    for (let i = 1; i < pts.length; i++) {
      const [ax, ay] = pts[i - 1]!;
      const [bx, by] = pts[i]!;
      const n = Math.max(1, Math.ceil(Math.hypot(bx - ax, by - ay) / STEP_PX));
      for (let k = 0; k <= n; k++) {
        const x = Math.floor(ax + ((bx - ax) * k) / n);
        const y = Math.floor(ay + ((by - ay) * k) / n);
        if (x >= 0 && y >= 0 && x < width && y < height) out[y * width + x] = 1;
      }
    }
  }
  return out;
}
