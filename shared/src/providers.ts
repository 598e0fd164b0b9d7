/** Imagery providers the system knows, in the default fallback order (local store first). */
export const IMAGERY_PROVIDERS = ["local", "esri", "mapbox", "gee"] as const;

export type ImageryProviderName = (typeof IMAGERY_PROVIDERS)[number];
