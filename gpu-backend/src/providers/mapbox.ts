import { ATTRIBUTION } from "./attribution.js";
import { ProviderConfigError } from "./errors.js";
import type { ImageryProvider } from "./types.js";
import { createXyzProvider, type XyzProviderOptions } from "./xyz.js";

export const MAPBOX_SATELLITE_URL =
  "https://api.mapbox.com/v4/mapbox.satellite/{z}/{x}/{y}@2x.jpg90?access_token={key}";

export interface MapboxProviderOptions extends Partial<Omit<XyzProviderOptions, "tileSize" | "params">> {
  /**
   * Server-side access token. Defaults to the MAPBOX_ACCESS_TOKEN environment variable; it is
   * only ever put into request URLs, never into messages, results or logs.
   */
  readonly accessToken?: string;
}

/**
 * Mapbox Satellite as 512-px "@2x" tiles: a zoom-z tile of 512 px has the pixel size of a
 * zoom-(z+1) 256-px tile, so maxZoom 22 reaches the resolution of 256-px zoom 23.
 */
export function createMapboxProvider(options: MapboxProviderOptions = {}): ImageryProvider {
  const { accessToken = process.env.MAPBOX_ACCESS_TOKEN, ...rest } = options;
  if (!accessToken) throw new ProviderConfigError("mapbox", "no access token (set MAPBOX_ACCESS_TOKEN)");
  return createXyzProvider({
    name: "mapbox",
    attribution: ATTRIBUTION.mapbox,
    urlTemplate: MAPBOX_SATELLITE_URL,
    maxZoom: 22,
    ...rest,
    tileSize: 512,
    params: { key: accessToken },
  });
}
