import { ATTRIBUTION } from "./attribution.js";
import type { ImageryProvider } from "./types.js";
import { createXyzProvider, type XyzProviderOptions } from "./xyz.js";

export const ESRI_WORLD_IMAGERY_URL =
  "https://server.arcgisonline.com/ArcGIS/rest/services/World_Imagery/MapServer/tile/{z}/{y}/{x}";

export type EsriProviderOptions = Partial<Omit<XyzProviderOptions, "tileSize" | "params">>;

/**
 * Esri World Imagery (256-px XYZ tiles, note {y} before {x} in the path). Zoom capped at 19 by
 * default: deeper levels exist only in some places, and elsewhere Esri answers 200 with a
 * "Map data not yet available" placeholder that cannot be told from imagery by status.
 */
export function createEsriProvider(options: EsriProviderOptions = {}): ImageryProvider {
  return createXyzProvider({
    name: "esri",
    attribution: ATTRIBUTION.esri,
    urlTemplate: ESRI_WORLD_IMAGERY_URL,
    maxZoom: 19,
    ...options,
    tileSize: 256,
  });
}
