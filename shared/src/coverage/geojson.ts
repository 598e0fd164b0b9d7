import { mercatorToLonLat } from "../geo/mercator.js";
import type { CoverageHit, CoverageImage } from "./coverage-index.js";

/**
 * A footprint as the public API shows it: snake_case with units in the names, as every other
 * answer of the API. The image's file name stays out: it is the operator's storage layout, of no
 * use to a client.
 */
export interface FootprintProperties {
  readonly id: string;
  readonly width_px: number;
  readonly height_px: number;
  /** Web Mercator metres per pixel. */
  readonly mercator_resolution_m: number;
  /** Present for search hits: ground metres per pixel at the query's latitude. */
  readonly ground_resolution_m?: number;
  /** Present for search hits: the fraction of the query area the image covers. */
  readonly coverage?: number;
}

export interface FootprintFeature {
  readonly type: "Feature";
  readonly id: string;
  /** [west, south, east, north] in degrees. */
  readonly bbox: [number, number, number, number];
  readonly geometry: { readonly type: "Polygon"; readonly coordinates: [number, number][][] };
  readonly properties: FootprintProperties;
}

export interface FootprintCollection {
  readonly type: "FeatureCollection";
  readonly features: FootprintFeature[];
}

/**
 * Decimals of what a footprint shows, as an analysis's lines show theirs: degrees to 1e-8 (about
 * 1 mm), resolutions to the micrometre (the index stores them as float32, whose 0.3 reads
 * 0.30000001192092896 unrounded) and the covered fraction to 1e-4.
 */
const DEGREE_DECIMALS = 8;
const RESOLUTION_DECIMALS = 6;
const COVERAGE_DECIMALS = 4;
/** What a listed image that covers only a sliver of the area shows instead of 0. */
const MIN_SHOWN_COVERAGE = 1e-4;

function round(v: number, decimals: number): number {
  const f = 10 ** decimals;
  return Math.round(v * f) / f;
}

/**
 * Footprints as a GeoJSON FeatureCollection of lon/lat Polygons (RFC 7946: WGS84, exterior ring
 * counter-clockwise, closed). An axis-aligned Mercator rectangle is an axis-aligned lon/lat
 * rectangle, so its four corners describe it exactly. Order of the input is kept.
 */
export function toGeoJSON(images: readonly (CoverageHit | CoverageImage)[]): FootprintCollection {
  return {
    type: "FeatureCollection",
    features: images.map((img) => {
      const [x0, y0, x1, y1] = img.footprint;
      const [w, s] = mercatorToLonLat(x0, y0).map((d) => round(d, DEGREE_DECIMALS)) as [number, number];
      const [e, n] = mercatorToLonLat(x1, y1).map((d) => round(d, DEGREE_DECIMALS)) as [number, number];
      const properties: FootprintProperties = {
        id: img.id,
        width_px: img.width,
        height_px: img.height,
        mercator_resolution_m: round(img.mercatorResolution, RESOLUTION_DECIMALS),
        ...("coverage" in img
          ? {
              ground_resolution_m: round(img.groundResolutionM, RESOLUTION_DECIMALS),
              // An image listed covers some of the area: never shown as 0.
              coverage: Math.max(
                round(img.coverage, COVERAGE_DECIMALS),
                img.coverage > 0 ? MIN_SHOWN_COVERAGE : 0,
              ),
            }
          : {}),
      };
      return {
        type: "Feature",
        id: img.id,
        bbox: [w, s, e, n],
        geometry: {
          type: "Polygon",
          coordinates: [
            [
              [w, s],
              [e, s],
              [e, n],
              [w, n],
              [w, s],
            ],
          ],
        },
        properties,
      };
    }),
  };
}
