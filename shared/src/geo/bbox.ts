/**
 * The lon/lat bounding box of an area: a bbox is its own; a polygon's is that of its exterior ring
 * (the only ring the API accepts). Antimeridian-crossing areas are refused by validation, so the
 * plain minimum and maximum are right.
 */
import type { LonLatBbox } from "./tiles.js";

/** Bounds of a list of [lon, lat] positions (infinite bounds for none). */
export function positionsBbox(positions: Iterable<readonly number[]>): LonLatBbox {
  let west = Number.POSITIVE_INFINITY;
  let south = Number.POSITIVE_INFINITY;
  let east = Number.NEGATIVE_INFINITY;
  let north = Number.NEGATIVE_INFINITY;
  for (const [lon = Number.NaN, lat = Number.NaN] of positions) {
    west = Math.min(west, lon);
    east = Math.max(east, lon);
    south = Math.min(south, lat);
    north = Math.max(north, lat);
  }
  return [west, south, east, north];
}

/** Bounds of an area as the API takes it (bbox, or Polygon by its exterior ring). */
export function areaBbox(
  area:
    | { readonly type: "bbox"; readonly bbox: readonly number[] }
    | { readonly type: "Polygon"; readonly coordinates: readonly (readonly (readonly number[])[])[] },
): LonLatBbox {
  if (area.type === "bbox") {
    const [west = Number.NaN, south = Number.NaN, east = Number.NaN, north = Number.NaN] = area.bbox;
    return [west, south, east, north];
  }
  return positionsBbox(area.coordinates[0] ?? []);
}
