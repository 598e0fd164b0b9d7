/**
 * The raster an analysis of an area works on: the area's lon/lat bbox in Web Mercator, with square
 * pixels whose ground size at the bbox's central latitude is the requested resolution. Validation
 * counts its pixels and the backend crops imagery to it, so both agree on the size of the work.
 */
import {
  lonLatToMercator,
  type MercatorGrid,
  mercatorResolutionForGround,
  mercatorToLonLat,
} from "./mercator.js";
import type { LonLatBbox, MercatorBbox } from "./tiles.js";

export function gridForBbox(bbox: LonLatBbox, groundResolutionM: number): MercatorGrid {
  if (!(groundResolutionM > 0)) throw new RangeError(`resolution must be > 0, got ${groundResolutionM}`);
  const [west, south, east, north] = bbox;
  const [minX, minY] = lonLatToMercator(west, south);
  const [maxX, maxY] = lonLatToMercator(east, north);
  const resolution = mercatorResolutionForGround(groundResolutionM, (south + north) / 2);
  return {
    originX: minX,
    originY: maxY,
    resolution,
    // At least one pixel; a tiny tolerance keeps exact multiples from gaining a sliver column.
    width: Math.max(1, Math.ceil((maxX - minX) / resolution - 1e-9)),
    height: Math.max(1, Math.ceil((maxY - minY) / resolution - 1e-9)),
  };
}

/** Extent of a grid's pixels in EPSG:3857 metres: [minX, minY, maxX, maxY]. */
export function gridBoundsMercator(grid: MercatorGrid): MercatorBbox {
  return [
    grid.originX,
    grid.originY - grid.height * grid.resolution,
    grid.originX + grid.width * grid.resolution,
    grid.originY,
  ];
}

/** Extent of a grid's pixels in lon/lat: [west, south, east, north]. */
export function gridBoundsLonLat(grid: MercatorGrid): LonLatBbox {
  const [minX, minY, maxX, maxY] = gridBoundsMercator(grid);
  const [west, south] = mercatorToLonLat(minX, minY);
  const [east, north] = mercatorToLonLat(maxX, maxY);
  return [west, south, east, north];
}
