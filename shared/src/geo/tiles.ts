/**
 * XYZ ("slippy map") tiles on spherical Web Mercator: tile of a point, tile bounds, tile cover of a
 * bbox, and the zoom that gives a wanted ground resolution. Tile x grows east, y grows south, as
 * Esri World Imagery, Mapbox and OSM serve them.
 */
import {
  groundResolution,
  MAX_LATITUDE,
  MERCATOR_HALF_WORLD_M,
  type MercatorGrid,
  mercatorResolutionAtZoom,
  mercatorToLonLat,
  TILE_SIZE,
} from "./mercator.js";

export interface TileXYZ {
  readonly x: number;
  readonly y: number;
  readonly z: number;
}

/** [west, south, east, north] in degrees (WGS84 lon/lat), as in GeoJSON. */
export type LonLatBbox = readonly [west: number, south: number, east: number, north: number];

/** [minX, minY, maxX, maxY] in EPSG:3857 metres. */
export type MercatorBbox = readonly [minX: number, minY: number, maxX: number, maxY: number];

/** Highest zoom any imagery provider we use serves (Esri/Mapbox stop at 22-23). */
export const MAX_TILE_ZOOM = 23;

function assertZoom(z: number): void {
  if (!Number.isInteger(z) || z < 0 || z > 30)
    throw new RangeError(`zoom must be an integer in [0, 30], got ${z}`);
}

const clampLat = (lat: number): number => Math.max(-MAX_LATITUDE, Math.min(MAX_LATITUDE, lat));

/**
 * Continuous tile coordinates of a lon/lat at a zoom (integer part = tile index). Computed from the
 * fraction of the world so that tile edges are exact for lon/lat that fall on them.
 */
export function lonLatToTileFraction(lon: number, lat: number, z: number): [number, number] {
  assertZoom(z);
  const n = 2 ** z;
  const phi = (clampLat(lat) * Math.PI) / 180;
  const fx = ((lon + 180) / 360) * n;
  const fy = ((1 - Math.log(Math.tan(Math.PI / 4 + phi / 2)) / Math.PI) / 2) * n;
  return [fx, fy];
}

/** The tile containing a point; tiles are half-open [x, x+1) so edge points belong to the east/south tile. */
export function lonLatToTile(lon: number, lat: number, z: number): TileXYZ {
  const [fx, fy] = lonLatToTileFraction(lon, lat, z);
  const max = 2 ** z - 1;
  return {
    x: Math.min(max, Math.max(0, Math.floor(fx))),
    y: Math.min(max, Math.max(0, Math.floor(fy))),
    z,
  };
}

/** Tile extent in EPSG:3857 metres. */
export function tileBoundsMercator(tile: TileXYZ): MercatorBbox {
  assertZoom(tile.z);
  const size = (2 * MERCATOR_HALF_WORLD_M) / 2 ** tile.z;
  const minX = -MERCATOR_HALF_WORLD_M + tile.x * size;
  const maxY = MERCATOR_HALF_WORLD_M - tile.y * size;
  return [minX, maxY - size, minX + size, maxY];
}

/** Tile extent in lon/lat degrees. */
export function tileBoundsLonLat(tile: TileXYZ): LonLatBbox {
  const [minX, minY, maxX, maxY] = tileBoundsMercator(tile);
  const [west, south] = mercatorToLonLat(minX, minY);
  const [east, north] = mercatorToLonLat(maxX, maxY);
  return [west, south, east, north];
}

/** The pixel grid (geotransform) of one tile image. */
export function tileGrid(tile: TileXYZ, tileSize = TILE_SIZE): MercatorGrid {
  const [minX, , , maxY] = tileBoundsMercator(tile);
  return {
    originX: minX,
    originY: maxY,
    resolution: mercatorResolutionAtZoom(tile.z, tileSize),
    width: tileSize,
    height: tileSize,
  };
}

/** Number of tiles tileCover would return, without building the list. */
export function tileCoverCount(bbox: LonLatBbox, z: number): number {
  const r = coverRange(bbox, z);
  return (r.x1 - r.x0 + 1) * (r.y1 - r.y0 + 1);
}

function coverRange(bbox: LonLatBbox, z: number): { x0: number; x1: number; y0: number; y1: number } {
  const [west, south, east, north] = bbox;
  if (!(west <= east) || !(south <= north)) {
    throw new RangeError(`bbox must have west <= east and south <= north, got [${bbox.join(", ")}]`);
  }
  const max = 2 ** z - 1;
  const clamp = (v: number): number => Math.min(max, Math.max(0, v));
  const [fx0, fy0] = lonLatToTileFraction(west, north, z);
  const [fx1, fy1] = lonLatToTileFraction(east, south, z);
  // A bbox edge lying exactly on a tile edge does not need the tile beyond it (zero-area overlap),
  // hence ceil - 1 for the far edges; a degenerate (zero-width) bbox still needs its own tile.
  const x0 = clamp(Math.floor(fx0));
  const y0 = clamp(Math.floor(fy0));
  return {
    x0,
    y0,
    x1: Math.max(x0, clamp(Math.ceil(fx1) - 1)),
    y1: Math.max(y0, clamp(Math.ceil(fy1) - 1)),
  };
}

/**
 * All tiles at zoom z whose extent overlaps the bbox (west-to-east, north-to-south order).
 * Antimeridian-crossing bboxes (west > east) are not supported. Throws when the cover would exceed
 * `maxTiles`: callers are expected to have validated the area first, so this is a programming error.
 */
export function tileCover(bbox: LonLatBbox, z: number, maxTiles = 4096): TileXYZ[] {
  const r = coverRange(bbox, z);
  const count = (r.x1 - r.x0 + 1) * (r.y1 - r.y0 + 1);
  if (count > maxTiles) throw new RangeError(`tile cover of ${count} tiles exceeds maxTiles ${maxTiles}`);
  const tiles: TileXYZ[] = [];
  for (let y = r.y0; y <= r.y1; y++) {
    for (let x = r.x0; x <= r.x1; x++) tiles.push({ x, y, z });
  }
  return tiles;
}

/** Ground metres per pixel of a zoom level's tiles at a latitude. */
export function groundResolutionAtZoom(z: number, lat: number, tileSize = TILE_SIZE): number {
  return groundResolution(mercatorResolutionAtZoom(z, tileSize), lat);
}

/**
 * The smallest zoom whose ground resolution at `lat` is <= `wantedM` (fetch that zoom, then
 * resample down to the wanted resolution). Capped at `maxZoom`: when even that is coarser than
 * wanted, `maxZoom` is returned and the caller must report the real resolution.
 */
export function zoomForGroundResolution(
  wantedM: number,
  lat: number,
  tileSize = TILE_SIZE,
  maxZoom = MAX_TILE_ZOOM,
): number {
  if (!(wantedM > 0)) throw new RangeError(`wanted resolution must be > 0, got ${wantedM}`);
  const res = (z: number): number => groundResolutionAtZoom(z, lat, tileSize);
  // Closed form, then step to absorb floating-point error at exact powers of two.
  let z = Math.min(maxZoom, Math.max(0, Math.ceil(Math.log2(res(0) / wantedM))));
  while (z > 0 && res(z - 1) <= wantedM) z--;
  while (z < maxZoom && res(z) > wantedM) z++;
  return z;
}
