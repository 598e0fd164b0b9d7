/**
 * The raster an analysis works on. One rule, shared with request validation (gridForBbox in
 * @lanesegnet/shared), so the pixel count validated at the edge is the pixel count fetched here:
 *
 * - origin at the area's top-left corner (minX, maxY) in EPSG:3857;
 * - square pixels of Mercator resolution = ground resolution / cos(latitude of the bbox centre),
 *   so the requested ground resolution holds at the centre (Mercator scale varies by
 *   1/cos(lat) across the area: about 0.1 % per km north-south at mid latitudes);
 * - width = ceil(Mercator width / resolution), height likewise (at least 1).
 *
 * Because of the ceil, the last column and row may extend less than one pixel past the area's
 * east and south edges. That sliver is real imagery (providers fill the whole grid); vectors
 * found in it are clipped to the requested area later, in the vectorisation step.
 */
import { gridForBbox, type LonLatBbox, type MercatorGrid } from "@lanesegnet/shared";

export function targetGrid(bboxLonLat: LonLatBbox, groundResolutionM: number): MercatorGrid {
  return gridForBbox(bboxLonLat, groundResolutionM);
}
