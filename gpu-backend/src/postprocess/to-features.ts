/**
 * One call from segmentation output on a Mercator raster to the API's GeoJSON features: the
 * ground resolution comes from the grid (Mercator resolution x cos(latitude of the raster's
 * centre)) unless the caller knows better.
 */
import { groundResolution, type MercatorGrid, pixelToLonLat } from "@lanesegnet/shared";
import { type LaneFeatureCollection, type ToGeoJsonOptions, toFeatureCollection } from "./to-geojson.js";
import {
  type SegmentationOutput,
  type VectoriseOptions,
  type VectoriseResult,
  vectorise,
} from "./vectorise.js";

export interface VectoriseToFeaturesOptions
  extends Omit<VectoriseOptions, "groundResolutionM">,
    ToGeoJsonOptions {
  groundResolutionM?: number;
}

export function gridGroundResolution(grid: MercatorGrid): number {
  const [, lat] = pixelToLonLat(grid, grid.width / 2, grid.height / 2);
  return groundResolution(grid.resolution, lat);
}

export function vectoriseToFeatures(
  out: SegmentationOutput,
  grid: MercatorGrid,
  opts: VectoriseToFeaturesOptions = {},
): { collection: LaneFeatureCollection; result: VectoriseResult } {
  if (grid.width !== out.width || grid.height !== out.height) {
    throw new RangeError(`grid is ${grid.width}x${grid.height}, segmentation is ${out.width}x${out.height}`);
  }
  const result = vectorise(out, {
    ...opts,
    groundResolutionM: opts.groundResolutionM ?? gridGroundResolution(grid),
  });
  return { collection: toFeatureCollection(result.lines, grid, opts), result };
}
