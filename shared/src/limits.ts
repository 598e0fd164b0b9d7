/**
 * The one set of limits every part of the system enforces (edge validation, backend, frontend
 * hints). They bound the work one request can cause: pixels bound imagery download, memory and
 * inference time; vertices bound the O(n²) polygon checks; bytes bound parsing.
 */
export const LIMITS = {
  /** Largest area in km² (geodesic area of the bbox or polygon). */
  maxAreaKm2: 10,
  /**
   * Largest raster, in pixels, of the area's bbox at the requested ground resolution
   * (2^23 = e.g. 4096 x 2048; about 0.5 km² at the default 0.25 m). Time and memory of an analysis
   * scale with this number.
   */
  maxPixels: 8_388_608,
  /**
   * Longest side of that raster, in pixels (4.1 km at the default 0.25 m). Without it a thin strip
   * within the pixel limit (10 m x 50 km) needs thousands of provider tiles, one row of tiles per
   * 256 px of length, and a mosaic many times its own size.
   */
  maxSidePx: 16_384,
  /** Shortest allowed side (width or height through the centre of the bbox) in metres. */
  minSideM: 10,
  /** Most vertices in a polygon ring (the closing position not counted). */
  maxPolygonVertices: 512,
  /** Finest ground resolution a request may ask for, m/px (no provider serves finer). */
  minResolutionM: 0.05,
  /** Coarsest ground resolution a request may ask for, m/px (markings vanish beyond this). */
  maxResolutionM: 2,
  /** Ground resolution used when a request does not give one, m/px. */
  defaultResolutionM: 0.25,
  /** Largest request body in bytes; 512 vertices of full-precision coordinates need about 25 KB. */
  maxRequestBytes: 65_536,
} as const;

export type Limits = { readonly [K in keyof typeof LIMITS]: number };

/** The model's analysed range, as the edge knows it (MODEL_MIN_GSD_M, MODEL_MAX_GSD_M). */
export interface AnalysisLimitOptions {
  /**
   * The model's coarsest analysed ground resolution, m/px: a request for a coarser one is analysed
   * at this one (the backend never resizes imagery past the trained range), so the area limits
   * apply there. Unset: the requested resolution (the schema alone does not know the model).
   */
  readonly coarsestAnalysedM?: number;
  /** The model's finest analysed ground resolution, m/px: a finer request is analysed at this one. */
  readonly finestAnalysedM?: number;
}

/** A resolution kept inside the model's analysed range (each bound only where one is given). */
export function analysedResolutionM(resolutionM: number, range: AnalysisLimitOptions): number {
  return Math.max(
    Math.min(resolutionM, range.coarsestAnalysedM ?? Number.POSITIVE_INFINITY),
    range.finestAnalysedM ?? 0,
  );
}

/**
 * The resolution and the confidence threshold are honoured to 1 mm and 0.001: what the cache key
 * hashes (cache-key.ts) and what the backend runs must be the same values, or a cached result made
 * for 0.5 would be served to a request for 0.5004 with lines below its threshold.
 */
export const canonicalResolutionM = (r: number): number => Math.round(r * 1000) / 1000;
export const canonicalConfidence = (c: number): number => Math.round(c * 1000) / 1000;
