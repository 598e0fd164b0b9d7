/**
 * A raster that knows where it is: interleaved RGB pixels plus the Web Mercator geotransform of
 * its pixel grid. Every image that crosses a module boundary in the backend (provider results,
 * model input) is one of these, so no code ever has to guess where a pixel lies.
 */
import type { MercatorGrid } from "@lanesegnet/shared";
import type { RgbRaster } from "../runtime/segment.js";

export interface GeoRaster {
  readonly grid: MercatorGrid;
  /** Interleaved RGB, 3 bytes per pixel, row-major, grid.width x grid.height pixels. */
  readonly rgb: Uint8Array;
}

/** The model's view of a georeferenced raster (same pixels, no copy). */
export function asRgbRaster(raster: GeoRaster): RgbRaster {
  return { width: raster.grid.width, height: raster.grid.height, rgb: raster.rgb };
}

/** A black raster of a grid. */
export function emptyRaster(grid: MercatorGrid): GeoRaster {
  return { grid, rgb: new Uint8Array(grid.width * grid.height * 3) };
}

/** Throws when a raster's buffer does not hold exactly its grid's pixels. */
export function assertRasterShape(raster: GeoRaster): void {
  const { width, height } = raster.grid;
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new RangeError(`raster grid must have positive integer size, got ${width} x ${height}`);
  }
  if (raster.rgb.length !== width * height * 3) {
    throw new RangeError(
      `raster has ${raster.rgb.length} bytes, its ${width} x ${height} grid needs ${width * height * 3}`,
    );
  }
}
