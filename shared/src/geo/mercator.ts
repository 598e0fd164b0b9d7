/**
 * Spherical Web Mercator (EPSG:3857) and its pixel grids. EPSG:3857 is defined on a sphere of the
 * WGS84 semi-major axis; distances on the ground are NOT Mercator distances (see groundResolution
 * and geodesic.ts).
 */

export const EARTH_RADIUS_M = 6_378_137;
export const MAX_LATITUDE = 85.0511287798066;
/** Half the width of the Mercator world square in metres. */
export const MERCATOR_HALF_WORLD_M = Math.PI * EARTH_RADIUS_M;
export const TILE_SIZE = 256;

const DEG = Math.PI / 180;

export function lonLatToMercator(lon: number, lat: number): [number, number] {
  const x = EARTH_RADIUS_M * lon * DEG;
  const y = EARTH_RADIUS_M * Math.log(Math.tan(Math.PI / 4 + (lat * DEG) / 2));
  return [x, y];
}

export function mercatorToLonLat(x: number, y: number): [number, number] {
  const lon = x / EARTH_RADIUS_M / DEG;
  const lat = (2 * Math.atan(Math.exp(y / EARTH_RADIUS_M)) - Math.PI / 2) / DEG;
  return [lon, lat];
}

/** Mercator metres per pixel at a zoom level of 256-px tiles. */
export function mercatorResolutionAtZoom(zoom: number, tileSize = TILE_SIZE): number {
  return (2 * MERCATOR_HALF_WORLD_M) / (tileSize * 2 ** zoom);
}

/** Ground metres per pixel for a Mercator resolution at a latitude: Mercator resolution x cos(lat). */
export function groundResolution(mercatorMetresPerPixel: number, lat: number): number {
  return mercatorMetresPerPixel * Math.cos(lat * DEG);
}

/** Mercator metres per pixel that give the wanted ground resolution at a latitude. */
export function mercatorResolutionForGround(groundMetresPerPixel: number, lat: number): number {
  return groundMetresPerPixel / Math.cos(lat * DEG);
}

/**
 * An axis-aligned Web Mercator raster: origin at the top-left corner (minX, maxY), square pixels
 * of `resolution` Mercator metres, pixel (i, j) covering [i, i+1) x [j, j+1) in pixel space.
 * This is the geotransform every raster in the system carries.
 */
export interface MercatorGrid {
  readonly originX: number;
  readonly originY: number;
  readonly resolution: number;
  readonly width: number;
  readonly height: number;
}

/** Continuous pixel coordinates of a Mercator point in a grid. */
export function mercatorToPixel(grid: MercatorGrid, x: number, y: number): [number, number] {
  return [(x - grid.originX) / grid.resolution, (grid.originY - y) / grid.resolution];
}

export function pixelToMercator(grid: MercatorGrid, px: number, py: number): [number, number] {
  return [grid.originX + px * grid.resolution, grid.originY - py * grid.resolution];
}

export function lonLatToPixel(grid: MercatorGrid, lon: number, lat: number): [number, number] {
  const [x, y] = lonLatToMercator(lon, lat);
  return mercatorToPixel(grid, x, y);
}

export function pixelToLonLat(grid: MercatorGrid, px: number, py: number): [number, number] {
  const [x, y] = pixelToMercator(grid, px, py);
  return mercatorToLonLat(x, y);
}

/** Global pixel coordinates at a zoom level (origin top-left of the world, as XYZ tiles). */
export function lonLatToGlobalPixel(
  lon: number,
  lat: number,
  zoom: number,
  tileSize = TILE_SIZE,
): [number, number] {
  const [x, y] = lonLatToMercator(lon, lat);
  const res = mercatorResolutionAtZoom(zoom, tileSize);
  return [(x + MERCATOR_HALF_WORLD_M) / res, (MERCATOR_HALF_WORLD_M - y) / res];
}

export function globalPixelToLonLat(
  px: number,
  py: number,
  zoom: number,
  tileSize = TILE_SIZE,
): [number, number] {
  const res = mercatorResolutionAtZoom(zoom, tileSize);
  return mercatorToLonLat(px * res - MERCATOR_HALF_WORLD_M, MERCATOR_HALF_WORLD_M - py * res);
}
