/**
 * Exact resampling of georeferenced rasters onto a target Web Mercator grid.
 *
 * Hand-written on purpose: sharp's extract/resize work on whole source pixels (extract takes
 * integer offsets, resize maps corner to corner), so a crop whose edge falls at, say, pixel 417.38
 * of a tile would be shifted by up to half a source pixel, and the mosaic of several sources with
 * unrelated grids would accumulate such shifts. Here every target pixel centre is mapped through
 * the two geotransforms in double precision and the source is sampled there, so a feature lands
 * where the math says to a small fraction of a pixel. sharp is still used to decode and encode.
 *
 * Conventions (those of MercatorGrid): pixel (i, j) covers [i, i+1) x [j, j+1) in pixel space;
 * its centre is (i + 0.5, j + 0.5). A target pixel is covered by a source when its centre lies
 * inside the source's footprint (half-open, like the pixels). Values are bilinear in raw RGB
 * between source pixel centres, clamped to the edge pixel within the outer half pixel of a
 * source, so no value ever mixes two sources.
 */
import type { MercatorGrid } from "@lanesegnet/shared";
import type { GeoRaster } from "./georaster.js";

export interface ResampleSource {
  readonly grid: MercatorGrid;
  readonly rgb: Uint8Array;
  /**
   * Mercator metres per pixel vertically, when it differs from grid.resolution (an AEL sidecar
   * states footprint and pixel size separately; they agree only to rounding).
   */
  readonly resolutionY?: number;
  /** Per source pixel, 0 = no data: target pixels whose centre falls in such a pixel stay empty. */
  readonly valid?: Uint8Array;
}

export interface ResampleOptions {
  /**
   * Box-average sources that are at least 2x finer than the target before the bilinear step
   * (default true). Bilinear alone would sample only 4 of every k x k source pixels and let
   * thin lane paint flicker in and out (aliasing); the box keeps each pixel's mean.
   */
  readonly antialias?: boolean;
}

export interface ResampleResult {
  readonly raster: GeoRaster;
  /** Per target pixel: 0 = empty, k + 1 = drawn from source k (after over-drawing). */
  readonly owner: Uint16Array;
  /** Fraction of target pixels that some source covers. */
  readonly coverage: number;
  /** Target pixels each source supplied in the end (over-drawn pixels count for the later one). */
  readonly pixelsBySource: readonly number[];
}

/**
 * Fill a target grid from sources, drawn in the given order (later over earlier). Use
 * `finestOnTop` for best-resolution-wins ordering.
 */
export function resample(
  target: MercatorGrid,
  sources: readonly ResampleSource[],
  options: ResampleOptions = {},
): ResampleResult {
  const { width: tw, height: th } = target;
  if (sources.length > 0xfffe) throw new RangeError(`at most ${0xfffe} sources, got ${sources.length}`);
  const rgb = new Uint8Array(tw * th * 3);
  const owner = new Uint16Array(tw * th);
  sources.forEach((source, k) => {
    const prepared = prepare(source, target.resolution, options.antialias ?? true);
    draw(target, prepared, k + 1, rgb, owner);
  });
  const pixelsBySource = new Array<number>(sources.length).fill(0);
  let covered = 0;
  for (let p = 0; p < owner.length; p++) {
    const o = owner[p]!;
    if (o !== 0) {
      covered++;
      pixelsBySource[o - 1]!++;
    }
  }
  return { raster: { grid: target, rgb }, owner, coverage: covered / owner.length, pixelsBySource };
}

/**
 * Order sources so that the finest resolution is drawn last (on top). Stable: among equal
 * resolutions the given order is kept, so pass them worst-first when that matters.
 */
export function finestOnTop<T extends ResampleSource>(sources: readonly T[]): T[] {
  const res = (s: ResampleSource) => Math.max(s.grid.resolution, s.resolutionY ?? s.grid.resolution);
  return [...sources].sort((a, b) => res(b) - res(a));
}

/** A source ready to sample: possibly box-reduced, with its original footprint kept for coverage. */
interface Prepared {
  readonly ox: number;
  readonly oy: number;
  readonly rx: number;
  readonly ry: number;
  readonly w: number;
  readonly h: number;
  readonly rgb: Uint8Array;
  readonly valid: Uint8Array | undefined;
  /** Size of the original source in its own pixels (coverage is decided against it). */
  readonly originalW: number;
  readonly originalH: number;
  /** Original pixels per prepared pixel (1 unless box-reduced). */
  readonly kx: number;
  readonly ky: number;
}

function prepare(source: ResampleSource, targetRes: number, antialias: boolean): Prepared {
  const { grid } = source;
  const rx = grid.resolution;
  const ry = source.resolutionY ?? grid.resolution;
  if (!(rx > 0 && ry > 0)) throw new RangeError(`source resolution must be > 0, got ${rx} x ${ry}`);
  if (source.rgb.length !== grid.width * grid.height * 3) {
    throw new RangeError(
      `source has ${source.rgb.length} bytes, its ${grid.width} x ${grid.height} grid needs ${grid.width * grid.height * 3}`,
    );
  }
  if (source.valid && source.valid.length !== grid.width * grid.height) {
    throw new RangeError("source validity mask does not match its grid");
  }
  const base: Prepared = {
    ox: grid.originX,
    oy: grid.originY,
    rx,
    ry,
    w: grid.width,
    h: grid.height,
    rgb: source.rgb,
    valid: source.valid,
    originalW: grid.width,
    originalH: grid.height,
    kx: 1,
    ky: 1,
  };
  if (!antialias) return base;
  // 1e-9 keeps an exact 2x ratio that arrives as 1.9999999999 from being skipped.
  const kx = Math.max(1, Math.floor(targetRes / rx + 1e-9));
  const ky = Math.max(1, Math.floor(targetRes / ry + 1e-9));
  if (kx < 2 && ky < 2) return base;
  const w = Math.ceil(grid.width / kx);
  const h = Math.ceil(grid.height / ky);
  return {
    ...base,
    rx: rx * kx,
    ry: ry * ky,
    w,
    h,
    rgb: boxReduce(source.rgb, grid.width, grid.height, kx, ky),
    kx,
    ky,
  };
}

/**
 * Mean of each kx x ky block (the last, partial blocks average the pixels they have). The reduced
 * grid keeps the origin, so its geotransform stays exact.
 */
export function boxReduce(
  rgb: Uint8Array,
  width: number,
  height: number,
  kx: number,
  ky: number,
): Uint8Array {
  const w = Math.ceil(width / kx);
  const h = Math.ceil(height / ky);
  const out = new Uint8Array(w * h * 3);
  const sums = new Float64Array(w * 3);
  for (let by = 0; by < h; by++) {
    sums.fill(0);
    const y0 = by * ky;
    const y1 = Math.min(height, y0 + ky);
    for (let y = y0; y < y1; y++) {
      const row = y * width * 3;
      for (let x = 0; x < width; x++) {
        const b = Math.floor(x / kx) * 3;
        const s = row + x * 3;
        sums[b] = sums[b]! + rgb[s]!;
        sums[b + 1] = sums[b + 1]! + rgb[s + 1]!;
        sums[b + 2] = sums[b + 2]! + rgb[s + 2]!;
      }
    }
    for (let bx = 0; bx < w; bx++) {
      const n = (Math.min(width, (bx + 1) * kx) - bx * kx) * (y1 - y0);
      const o = (by * w + bx) * 3;
      out[o] = sums[bx * 3]! / n + 0.5;
      out[o + 1] = sums[bx * 3 + 1]! / n + 0.5;
      out[o + 2] = sums[bx * 3 + 2]! / n + 0.5;
    }
  }
  return out;
}

/** Sampling positions along one axis: for each covered target index, two taps and a weight. */
interface AxisTaps {
  readonly first: number;
  readonly count: number;
  readonly i0: Int32Array;
  readonly i1: Int32Array;
  readonly f: Float64Array;
  /** Index of the original (unreduced) source pixel that contains the target centre. */
  readonly cell: Int32Array;
}

/**
 * Taps along an axis. `offset` is the target origin minus the source origin in source pixels
 * (signs arranged so both axes grow with the index), `step` the target pixel in source pixels.
 */
function axisTaps(
  n: number,
  offset: number,
  step: number,
  size: number,
  original: number,
  k: number,
): AxisTaps {
  // The footprint in (possibly reduced) source pixels: the original size, not the padded blocks.
  const extent = original / k;
  let first = -1;
  let last = -2;
  const pos = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // Centre of target pixel i in continuous source pixel coordinates.
    const u = offset + (i + 0.5) * step;
    pos[i] = u;
    if (u >= 0 && u < extent) {
      if (first < 0) first = i;
      last = i;
    }
  }
  const count = first < 0 ? 0 : last - first + 1;
  const i0 = new Int32Array(count);
  const i1 = new Int32Array(count);
  const f = new Float64Array(count);
  const cell = new Int32Array(count);
  for (let c = 0; c < count; c++) {
    const u = pos[first + c]!;
    // Bilinear between pixel centres: centre of pixel m is at m + 0.5.
    const s = u - 0.5;
    let a = Math.floor(s);
    let frac = s - a;
    if (a < 0) {
      a = 0;
      frac = 0;
    } else if (a >= size - 1) {
      a = size - 1;
      frac = 0;
    }
    i0[c] = a;
    i1[c] = Math.min(a + 1, size - 1);
    f[c] = frac;
    cell[c] = Math.min(Math.floor(u * k), original - 1);
  }
  return { first, count, i0, i1, f, cell };
}

function draw(target: MercatorGrid, s: Prepared, tag: number, out: Uint8Array, owner: Uint16Array): void {
  const tr = target.resolution;
  // Differences of nearby large coordinates are exact in floating point (Sterbenz), so the
  // offsets carry no error from the 1e7-sized Mercator values.
  const cols = axisTaps(target.width, (target.originX - s.ox) / s.rx, tr / s.rx, s.w, s.originalW, s.kx);
  const rows = axisTaps(target.height, (s.oy - target.originY) / s.ry, tr / s.ry, s.h, s.originalH, s.ky);
  if (cols.count === 0 || rows.count === 0) return;
  const sw3 = s.w * 3;
  const tw = target.width;
  for (let r = 0; r < rows.count; r++) {
    const j = rows.first + r;
    const fy = rows.f[r]!;
    const rowA = rows.i0[r]! * sw3;
    const rowB = rows.i1[r]! * sw3;
    const validRow = rows.cell[r]! * s.originalW;
    for (let c = 0; c < cols.count; c++) {
      if (s.valid && s.valid[validRow + cols.cell[c]!] === 0) continue;
      const i = cols.first + c;
      const fx = cols.f[c]!;
      const xa = cols.i0[c]! * 3;
      const xb = cols.i1[c]! * 3;
      const w00 = (1 - fx) * (1 - fy);
      const w10 = fx * (1 - fy);
      const w01 = (1 - fx) * fy;
      const w11 = fx * fy;
      const p = j * tw + i;
      const o = p * 3;
      const src = s.rgb;
      // +0.5 then the Uint8Array store truncates: round half up, values stay in [0, 255].
      out[o] =
        w00 * src[rowA + xa]! + w10 * src[rowA + xb]! + w01 * src[rowB + xa]! + w11 * src[rowB + xb]! + 0.5;
      out[o + 1] =
        w00 * src[rowA + xa + 1]! +
        w10 * src[rowA + xb + 1]! +
        w01 * src[rowB + xa + 1]! +
        w11 * src[rowB + xb + 1]! +
        0.5;
      out[o + 2] =
        w00 * src[rowA + xa + 2]! +
        w10 * src[rowA + xb + 2]! +
        w01 * src[rowB + xa + 2]! +
        w11 * src[rowB + xb + 2]! +
        0.5;
      owner[p] = tag;
    }
  }
}

/**
 * Fraction of the target pixels whose centre lies inside a Mercator bbox that some source filled.
 * The requested area, not the whole grid: the grid's last column and row reach up to a pixel past
 * the area, and imagery that ends exactly at the area's edge still covers the area fully.
 */
export function coverageOfArea(
  owner: Uint16Array,
  grid: MercatorGrid,
  bbox: readonly [minX: number, minY: number, maxX: number, maxY: number],
): number {
  const { originX, originY, resolution: r, width, height } = grid;
  // Pixel i's centre x is originX + (i + 0.5) r; keep centres within [minX, maxX] (a tiny tolerance
  // absorbs the lon/lat round trip of the edges).
  const eps = 1e-6;
  const i0 = Math.max(0, Math.ceil((bbox[0] - originX) / r - 0.5 - eps));
  const i1 = Math.min(width - 1, Math.floor((bbox[2] - originX) / r - 0.5 + eps));
  const j0 = Math.max(0, Math.ceil((originY - bbox[3]) / r - 0.5 - eps));
  const j1 = Math.min(height - 1, Math.floor((originY - bbox[1]) / r - 0.5 + eps));
  if (i1 < i0 || j1 < j0) return 0;
  let covered = 0;
  for (let j = j0; j <= j1; j++) {
    const row = j * width;
    for (let i = i0; i <= i1; i++) if (owner[row + i] !== 0) covered++;
  }
  return covered / ((i1 - i0 + 1) * (j1 - j0 + 1));
}
