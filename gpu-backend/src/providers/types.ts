import { type LonLatBbox, lonLatToMercator, type MercatorBbox, type MercatorGrid } from "@lanesegnet/shared";
import type { GeoRaster } from "../raster/georaster.js";

export interface ImageryRequest {
  /** The exact raster wanted (see raster/target-grid.ts); the result has this grid. */
  readonly grid: MercatorGrid;
  /** The requested area; the grid may extend less than one pixel past its east and south edges. */
  readonly bboxLonLat: LonLatBbox;
  /** Cancels the fetch (the caller gave up). Not a provider failure: the chain stops at once. */
  readonly signal?: AbortSignal;
  /**
   * Refuse (TooCoarseError) when the provider's native ground resolution here is coarser than
   * this many m/px, ideally before downloading anything.
   */
  readonly maxGroundResolutionM?: number;
}

export interface ImageryResult {
  /** Imagery resampled exactly onto request.grid. */
  readonly raster: GeoRaster;
  readonly provider: string;
  /** To be shown with every result built on this imagery. */
  readonly attribution: string;
  /**
   * Native ground resolution (m/px) of the source imagery at the area's centre latitude: what the
   * imagery really resolves, whatever the grid's pixel size. For mosaics, the coarsest source
   * that supplied pixels.
   */
  readonly groundResolutionM: number;
  /** Fraction of grid pixels filled with imagery, in [0, 1]. */
  readonly coverage: number;
  /** Capture date (ISO 8601) when the provider states one. */
  readonly captured?: string;
}

export interface ImageryProvider {
  readonly name: string;
  readonly attribution: string;
  fetch(request: ImageryRequest): Promise<ImageryResult>;
  /**
   * The finest ground resolution (m/px) the provider can deliver at a latitude, or NaN when it
   * cannot tell without looking at the area (a local store).
   */
  nativeGroundResolution(latitude: number): number;
}

/** Latitude of the centre of a lon/lat bbox: where target grids take their ground resolution. */
export function centreLatitude(bbox: LonLatBbox): number {
  return (bbox[1] + bbox[3]) / 2;
}

/** The requested area in EPSG:3857 metres (coverage is measured over it, not the whole grid). */
export function areaMercator(bbox: LonLatBbox): MercatorBbox {
  const [minX, minY] = lonLatToMercator(bbox[0], bbox[1]);
  const [maxX, maxY] = lonLatToMercator(bbox[2], bbox[3]);
  return [minX, minY, maxX, maxY];
}
