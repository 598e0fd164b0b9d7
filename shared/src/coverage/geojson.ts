import { mercatorToLonLat } from "../geo/mercator.js";
import type { CoverageHit, CoverageImage } from "./coverage-index.js";

export interface FootprintProperties {
  readonly id: string;
  readonly file: string | null;
  readonly width: number;
  readonly height: number;
  readonly mercatorResolution: number;
  /** Present for search hits. */
  readonly groundResolutionM?: number;
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
 * Footprints as a GeoJSON FeatureCollection of lon/lat Polygons (RFC 7946: WGS84, exterior ring
 * counter-clockwise, closed). An axis-aligned Mercator rectangle is an axis-aligned lon/lat
 * rectangle, so its four corners describe it exactly. Order of the input is kept.
 */
export function toGeoJSON(images: readonly (CoverageHit | CoverageImage)[]): FootprintCollection {
  return {
    type: "FeatureCollection",
    features: images.map((img) => {
      const [x0, y0, x1, y1] = img.footprint;
      const [w, s] = mercatorToLonLat(x0, y0);
      const [e, n] = mercatorToLonLat(x1, y1);
      const properties: FootprintProperties = {
        id: img.id,
        file: img.file,
        width: img.width,
        height: img.height,
        mercatorResolution: img.mercatorResolution,
        ...("coverage" in img ? { groundResolutionM: img.groundResolutionM, coverage: img.coverage } : {}),
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
